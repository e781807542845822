"""Send one work order to the ledger (docs/api.md, "Connecting a 12345 platform").

    LEDGER_URL=https://ledger.example.gov.cn LEDGER_SECRET=zzc_… python intake_example.py

Needs `requests`. The secret is the API client's (系统管理 → 接口客户端), with scope
"intake". Sending the same external_id again returns the same issue: retry freely.
"""

from __future__ import annotations

import os
import sys

import requests


def work_order_send(base_url: str, secret: str, order: dict) -> dict:
    response = requests.post(
        f"{base_url.rstrip('/')}/api/v1/intake/",
        json=order,
        headers={"Authorization": f"Bearer {secret}", "Accept-Language": "zh-hans"},
        timeout=30,
    )
    if response.status_code in (200, 201, 202):
        return response.json()
    # errors are application/problem+json: title, detail and, for a field, errors
    problem = response.json()
    raise RuntimeError(f"{response.status_code} {problem.get('title')}: {problem}")


if __name__ == "__main__":
    base_url = os.environ.get("LEDGER_URL", "http://127.0.0.1:8000")
    secret = os.environ.get("LEDGER_SECRET") or sys.exit("set LEDGER_SECRET")
    result = work_order_send(
        base_url,
        secret,
        {
            "external_system": "12345热线",
            "external_id": "GD20261206000123",
            "title": "厂区门前道路积水",
            "description": "市民反映焦作某企业门前道路雨后积水，影响通行。",
            "reporter_name": "张先生",
            "reporter_phone": "13800000000",
            "enterprise_name": "焦作风神轮胎股份有限公司",
            "credit_code": "",
            "category": "基础设施",
            "received_at": "2026-12-06T09:30:00+08:00",
            "deadline": "2026-12-16",
        },
    )
    if result["state"] == "raised":
        print("raised as", result["issue"]["number"], result["issue"]["url"])
    else:
        print("waiting in the 待核实 queue; unknown:", ", ".join(result["unknown"]))
