"""Parsing and ingestion: files in, validated `PolicyDocument`s out.

- `ingest.reader`     reads a file safely (size, binary, encoding checks) and picks its format;
- `ingest.authoring`  parses PolicyGraph's authoring format (Markdown + YAML front matter, or YAML/JSON);
- `ingest.generic`    parses documents that carry none of our markup (Markdown, text, HTML);
- `ingest.loader`     turns paths into documents: merges translations, validates across the corpus.
"""

from ingest.loader import load_documents

__all__ = ["load_documents"]
