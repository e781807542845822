"""English UI strings of Django and third-party apps that ship no zh_Hans translation.

The admin must be fully Chinese in zh-hans. These msgids are marked here so that
`makemessages` keeps them in our catalog (locale/zh_Hans), where they get the Chinese given
here (scripts/catalog_chinese.py writes it; the English catalog repeats the English);
Django looks up our catalog first. Nothing at run time imports this module.
Checked by tests/test_admin_zh.py.
"""

from django.utils.translation import gettext_noop

# English msgid (marked for makemessages) -> its Chinese in the zh_Hans catalog
CHINESE = {
    gettext_noop("- Select an option -"): "- 请选择 -",
    gettext_noop("Filter by %(field_name)s"): "按%(field_name)s筛选",
    gettext_noop("Task Result"): "任务结果",
    gettext_noop("Task Results"): "任务结果",
    gettext_noop("status"): "状态",
    gettext_noop("enqueued at"): "入队时间",
    gettext_noop("started at"): "开始时间",
    gettext_noop("finished at"): "完成时间",
    gettext_noop("args kwargs"): "参数",
    gettext_noop("priority"): "优先级",
    gettext_noop("task path"): "任务路径",
    gettext_noop("worker id"): "执行进程",
    gettext_noop("queue name"): "队列",
    gettext_noop("backend name"): "任务后端",
    gettext_noop("run after"): "最早执行时间",
    gettext_noop("return value"): "返回值",
    gettext_noop("exception class path"): "异常类型",
    gettext_noop("traceback"): "错误追踪",
}
