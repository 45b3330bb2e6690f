"""Cycles and operational level (OLA) timers (issue 17).

Targets: a kind (service level, or an assignment group's operational level with its group), the
restart option (what the clock does when it would start again: continue, stay stopped, a new
cycle on reopening or on each customer reply) replacing the yes/no "reopening continues the
clock" (yes → continue, no → stay stopped), and which cycles count in attainment.

Timers: a key of metric + scope (the customer's, or one group's) + cycle instead of one timer
per metric: partial unique constraints keep one current cycle per metric and scope and each
cycle number once. Existing timers are cycle 1 of the customer's scope, current, counted (the
database defaults, which also serve rows written by COPY).
"""

import django.db.models.deletion
from django.db import migrations, models


def restart_from_reopen_continues(apps, schema_editor):
    Target = apps.get_model("slas", "Target")
    Target.objects.filter(reopen_continues=False).update(restart="none")
    Target.objects.filter(reopen_continues=True).update(restart="continue")


def reopen_continues_from_restart(apps, schema_editor):
    Target = apps.get_model("slas", "Target")
    Target.objects.exclude(restart="continue").update(reopen_continues=False)
    Target.objects.filter(restart="continue").update(reopen_continues=True)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('itsm', '0001_initial'),  # the team table (schema), nothing later
        ('slas', '0006_escalation_action_choices'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='timer',
            name='timer_one_per_metric',
        ),
        migrations.AddField(
            model_name='target',
            name='cycle_counting',
            field=models.CharField(choices=[('every', 'Every cycle counts'), ('last', 'Only the last cycle counts'), ('first', 'Only the first cycle counts')], default='every', max_length=10, verbose_name='cycles counted in attainment'),
        ),
        migrations.AddField(
            model_name='target',
            name='kind',
            field=models.CharField(choices=[('sla', "Service level (the customer's)"), ('ola', "Operational level (an assignment group's)")], default='sla', max_length=3, verbose_name='kind'),
        ),
        migrations.AddField(
            model_name='target',
            name='restart',
            field=models.CharField(choices=[('continue', 'Continue the same clock'), ('none', 'Stay stopped'), ('reopen', 'Start a new cycle on reopening'), ('customer_reply', 'Start a new cycle on each customer reply')], default='continue', max_length=20, verbose_name='when the clock would start again'),
        ),
        migrations.RunPython(restart_from_reopen_continues, reopen_continues_from_restart, elidable=False),
        migrations.RemoveField(
            model_name='target',
            name='reopen_continues',
        ),
        migrations.AddField(
            model_name='target',
            name='team',
            field=models.ForeignKey(blank=True, help_text='For an operational level target: the group whose time it measures; empty: every group.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='itsm.team', verbose_name='assignment group'),
        ),
        migrations.AddField(
            model_name='timer',
            name='counts',
            field=models.BooleanField(db_default=True, default=True, verbose_name='counts in attainment'),
        ),
        migrations.AddField(
            model_name='timer',
            name='cycle',
            field=models.PositiveSmallIntegerField(db_default=1, default=1, verbose_name='cycle'),
        ),
        migrations.AddField(
            model_name='timer',
            name='is_current',
            field=models.BooleanField(db_default=True, default=True, verbose_name='current cycle'),
        ),
        migrations.AddField(
            model_name='timer',
            name='kind',
            field=models.CharField(choices=[('sla', "Service level (the customer's)"), ('ola', "Operational level (an assignment group's)")], db_default='sla', default='sla', max_length=3, verbose_name='kind'),
        ),
        migrations.AddField(
            model_name='timer',
            name='ola_team',
            field=models.ForeignKey(blank=True, help_text="An operational level timer's group.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='itsm.team', verbose_name='assignment group'),
        ),
        migrations.AddConstraint(
            model_name='timer',
            constraint=models.UniqueConstraint(condition=models.Q(('is_current', True), ('kind', 'sla')), fields=('content_type', 'object_id', 'metric'), name='timer_one_current_sla'),
        ),
        migrations.AddConstraint(
            model_name='timer',
            constraint=models.UniqueConstraint(condition=models.Q(('is_current', True), ('kind', 'ola')), fields=('content_type', 'object_id', 'metric', 'ola_team'), name='timer_one_current_ola'),
        ),
        migrations.AddConstraint(
            model_name='timer',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'sla')), fields=('content_type', 'object_id', 'metric', 'cycle'), name='timer_sla_cycle_once'),
        ),
        migrations.AddConstraint(
            model_name='timer',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'ola')), fields=('content_type', 'object_id', 'metric', 'ola_team', 'cycle'), name='timer_ola_cycle_once'),
        ),
        migrations.AddConstraint(
            model_name='timer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'sla'), ('ola_team__isnull', True)), models.Q(('kind', 'ola'), ('ola_team__isnull', False)), _connector='OR'), name='timer_ola_has_team'),
        ),
        migrations.AddConstraint(
            model_name='timer',
            constraint=models.CheckConstraint(condition=models.Q(('cycle__gte', 1)), name='timer_cycle_positive'),
        ),
    ]
