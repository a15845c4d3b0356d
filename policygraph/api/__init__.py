"""The service layer: the HTTP API (FastAPI), the MCP server and `policygraph serve`.

All three are thin shells around one `policygraph.engine.Engine` per process, reached through
`policygraph.api.service.PolicyService` (which adds the agent, the read/upload consistency gate and limits).
"""
