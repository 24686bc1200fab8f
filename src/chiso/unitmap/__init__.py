"""The unit tree's inputs and outputs around the store: what each source says about units (``sources``), the
administrator's mapping lines (``lines``), the mapping file (``mapfile``) and the cached tree (``directory``)."""
