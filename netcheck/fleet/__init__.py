"""Many hosts' reports as one: read them, merge them, compare two runs (all pure), and render
the result (`fleet/render/`, one module per format).
"""
