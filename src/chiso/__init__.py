"""chiso — the Vietnamese public-service index (Bộ chỉ số phục vụ người dân, doanh nghiệp, QĐ 766/QĐ-TTg)."""

__version__ = "0.1.0"
