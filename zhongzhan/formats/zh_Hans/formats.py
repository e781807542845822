"""Dates and times shown the same way in every screen, message and language: 2026-11-30.

Templates mostly name their format ("Y-m-d"); these cover what uses the locale's default
(`|date` without a format, date_format(), the admin). 年月日 appear only in printed
notices, which name that format themselves. Input formats stay Django's.
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
