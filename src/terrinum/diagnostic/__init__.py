"""Report composition; SVG maps and charts shared by web pages and PDF reports."""
