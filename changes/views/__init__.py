"""The change management pages: one module per slice (records, catalogue, approvals, cab,
schedule, calendar, cmdb, reports), thin views over changes.selectors and changes.services."""
