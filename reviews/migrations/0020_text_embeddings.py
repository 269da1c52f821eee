from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0019_tags_votes_ratings"),
    ]

    operations = [
        migrations.CreateModel(
            name="TextEmbedding",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text_hash", models.CharField(max_length=64)),
                ("model", models.CharField(max_length=200)),
                ("dimension", models.PositiveIntegerField()),
                ("vector", models.BinaryField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("text_hash", "model"), name="text_embedding_unique"
                    )
                ],
            },
        ),
    ]
