"""Reports rendered from domain results: HTML with Jinja2, PDF with WeasyPrint."""
