"""The shapes several replicas share: one setting on one page (`onesetting`), a setting per owned
item (`peritem`), an AI assistant's training toggles (`assistant`), an objection form
(`objection`). No platform lives here."""
