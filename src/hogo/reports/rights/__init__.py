"""The answer to a rights request (本人からの請求への回答, 法32条〜36条) as HTML, PDF and JSON."""
