"""Change management's writes. Views, API, tasks and commands call these (never the models):
every rule of ISO/IEC 20000-1 8.5.1 as this product applies it lives here or in the workflow.

Modules: records (raise, edit, assign, comment, attach, link), states (workflow steps and the
checks that need more than the change), risk and catalogue (questionnaire, standard changes),
approvals and cab (who authorises, CAB meetings, one-click links), windows and conflicts
(schedule), proposals and unauthorised (the CMDB side), pipeline (CI/CD gate). Import from the
module: `from changes.services.records import change_create`.
"""
