"""On SQLite a triage result's call id becomes the row's own key (`integer PRIMARY KEY`): as
`bigint` it made a hidden rowid and a second B-tree of the call ids, written at every insert
(about 7 MB and half a second of a 500,000-call import). SQLite copies the table once; on
PostgreSQL the column is unchanged and its foreign key is only made again."""

import coresponse.dispatch.models
import django.db.models.deletion
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0006_call_owner_indexes_where_given"),
    ]

    operations = [
        migrations.AlterField(
            model_name="triageresult",
            name="call",
            field=coresponse.dispatch.models.RowKey(
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="triage",
                serialize=False,
                to="dispatch.call",
            ),
        ),
    ]
