"""Outputs: results.json, junit.xml, index.html, metrics.prom and the console, from one document.

Every writer takes the typed results document (runner.document), the same one `journey report`
reads back from results.json, so any past run re-renders; and every writer passes its text
through the Redactor before it reaches a file or a terminal. Outputs never build or judge.
"""

from __future__ import annotations
