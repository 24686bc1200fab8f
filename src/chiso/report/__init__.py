"""The monthly letter (công văn), its appendix and the leader brief, written from workspace results.

``data`` gathers results through the workspace, ``profile`` loads the letter profile, ``content`` builds the letter
as data; ``docx_writer``, ``xlsx_writer``, ``pdf`` and ``brief`` lay it out; ``produce`` ties them together.
"""
