"""Personal-data breaches (漏えい等): reportability under 法26条 and 規則7条–10条, deadlines, and the
six-step action flow of the IPA 情報漏えい発生時の対応ポイント集. Pure rules; no I/O."""
