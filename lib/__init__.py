"""Code that several plugins share and the core never needs.

Plugins may not import each other, so what two of them use lives here: the
reasoning/answer splitter, tool-call parsing, OpenAI's wire format, huge pages for
model processes, finding GGUF files in other apps' folders. `llamadesk.core`
never imports this package (an import-linter contract checks it).
"""
