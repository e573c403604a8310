"""Figure and element builders: data first, options keyword-only, no Dash imports; the same
functions serve pages and notebooks."""
