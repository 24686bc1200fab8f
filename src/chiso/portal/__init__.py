"""The portal connector: a polite HTTP client for the evaluation API of Cổng DVCQG and one fetch run
(docs/portal.md). Reading the responses is ``official/api_shapes.py``; storing them ``official/api_store.py``."""
