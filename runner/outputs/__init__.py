"""Outputs: results.json, junit.xml and the console, all rendered from one results document.

Every writer takes the same dict that results.json holds (so `journey report` re-renders any
past run) and passes its text through the Redactor before it reaches a file or a terminal.
"""

from __future__ import annotations
