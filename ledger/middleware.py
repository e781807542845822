"""Request guards that hold for every URL of the project, the rooms' included.

PostgreSQL refuses a NUL character in text, so a NUL that reaches a query is a 500. No
URL of the ledger names anything with a NUL in it: such a path is a 404 before any view
(and so any URL keyword such as a ledger number) sees it. Query and form values are left
to the forms, whose text fields already refuse a NUL with a message.
"""

from django.http import Http404


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "\x00" in request.path_info or any(
            "\x00" in str(value) for value in (*view_args, *view_kwargs.values())
        ):
            raise Http404
        return None
