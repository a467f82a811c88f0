"""Pure ingestion pipeline: file type detection, sandboxed parsing, chunking, archive extraction.

No ORM here. The services in ingestion/services.py call these functions on files and dataclasses.
"""
