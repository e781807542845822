"""Errors as application/problem+json (RFC 9457), in the caller's language."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

PROBLEM = "application/problem+json"

TITLES = {
    400: gettext_noop("请求有误"),
    401: gettext_noop("需要身份验证"),
    403: gettext_noop("无权访问"),
    404: gettext_noop("未找到"),
    405: gettext_noop("不支持该方法"),
    406: gettext_noop("无法提供所请求的格式"),
    409: gettext_noop("冲突"),
    412: gettext_noop("版本已变化"),
    413: gettext_noop("请求过大"),
    415: gettext_noop("不支持的内容类型"),
    422: gettext_noop("无法处理的请求"),
    428: gettext_noop("缺少版本条件"),
    429: gettext_noop("请求过于频繁"),
}


def problem_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    body = {
        "type": "about:blank",
        "title": _(TITLES.get(code, gettext_noop("错误"))),
        "status": code,
    }
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = _("请检查下列字段。")
        body["errors"] = data if isinstance(data, dict) else {"non_field_errors": data}
    elif isinstance(data, dict) and "detail" in data:
        body["detail"] = str(data["detail"])
    else:
        body["detail"] = str(data)
    # what a caller needs to act on the refusal (the likely duplicates of an issue being raised)
    for name in ("duplicates",):
        if hasattr(exc, name):
            body[name] = getattr(exc, name)
    if code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
        body["retry_after"] = int(exc.wait)
    response.data = body
    response.content_type = PROBLEM
    return response


@csrf_exempt  # a bearer call has no CSRF token, and this view changes nothing
def not_found(request, rest=""):
    """Any other path under /api/v1/ (a malformed number, a misspelt resource): the API's 404
    problem, not the screens' HTML page."""
    body = {"type": "about:blank", "title": _(TITLES[404]), "status": 404}
    body["detail"] = _("没有这个接口，或路径中的编号格式不对。")
    return JsonResponse(
        body, status=404, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False}
    )
