"""One module per external file format: parse + validate -> canonical rows."""
