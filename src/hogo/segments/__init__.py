"""個人関連情報 segment exports (法31条): spec, the recipient's confirmations, the pipeline."""
