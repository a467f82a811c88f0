"""Review.risk: the sum of the reasons' weights, so the queue can show the riskiest exchanges
first. Existing reviews get the score of the reasons they already hold."""

from django.db import migrations, models

# A frozen copy of privacy.review.RISK_WEIGHTS as of this migration: migrations never import the
# code they predate.
WEIGHTS = {
    "invalid_citation": 50,
    "pii_answer": 40,
    "injection": 40,
    "negative_feedback": 30,
    "unsupported_numbers": 25,
    "low_support": 20,
    "pii": 20,
    "refused": 10,
    "low_score": 5,
    "sample": 1,
}


def score_existing(apps, schema_editor):
    Review = apps.get_model("privacy", "Review")
    reviews = Review.objects.using(schema_editor.connection.alias)
    for review in reviews.only("pk", "reasons").iterator():
        risk = sum(WEIGHTS.get(reason, 0) for reason in set(review.reasons or []))
        if risk:
            reviews.filter(pk=review.pk).update(risk=risk)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="review",
            name="risk",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["state", "-risk"], name="privacy_review_state_risk"),
        ),
        migrations.RunPython(score_existing, migrations.RunPython.noop),
    ]
