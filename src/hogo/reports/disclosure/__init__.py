"""The disclosure answer (開示請求への回答) as a Japanese HTML document."""
