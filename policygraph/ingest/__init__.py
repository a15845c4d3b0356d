"""Parsing and ingestion: files in, validated `PolicyDocument`s out.

- `policygraph.ingest.reader`     reads a file safely (size, binary, encoding checks) and picks its format;
- `policygraph.ingest.authoring`  parses PolicyGraph's authoring format (Markdown + YAML front matter, or YAML/JSON);
- `policygraph.ingest.generic`    parses documents that carry none of our markup (Markdown, text, HTML);
- `policygraph.ingest.loader`     turns paths into documents: merges translations, validates across the corpus.
"""

from policygraph.ingest.loader import load_documents

__all__ = ["load_documents"]
