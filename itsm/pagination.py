"""Pagination of every list page and list endpoint: the total is counted up to a cap.

Counting every match of a broad filter is the slowest part of a page over a large table
(230,000 closed incidents of one group: 50 ms, against 1 ms for the page's rows; bench/
results.md). Nobody reads "page 4,615 of 4,616": past `CAP` matches a list says "more than
10,000", and its pages go on as long as there are rows (each page reads one row more than it
shows, to know whether another follows).
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property

CAP = 10_000


class CappedPaginator(Paginator):
    cap = CAP

    @cached_property
    def count(self) -> int:
        """The number of rows, exact up to `cap`; `cap + 1` means "more"."""
        if not hasattr(self.object_list, "query"):
            return len(self.object_list)
        # COUNT over a LIMIT subquery: the database stops at cap + 1 matching rows.
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def exact(self) -> bool:
        return self.count <= self.cap

    def validate_number(self, number):
        if self.exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        if self.exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom: bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage(self.error_messages["no_results"])
        return OpenEndedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)


class OpenEndedPage(Page):
    """A page of a list counted only up to the cap: whether another follows is known from
    the row read beyond it."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)
