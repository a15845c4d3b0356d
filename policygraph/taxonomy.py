"""The category taxonomy every policy declares one of (DESIGN.md §3)."""

from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    violent_extremism = "violent_extremism"
    hate_speech = "hate_speech"
    harassment_bullying = "harassment_bullying"
    violence_graphic = "violence_graphic"
    suicide_self_harm = "suicide_self_harm"
    child_safety = "child_safety"
    adult_sexual_content = "adult_sexual_content"
    regulated_goods = "regulated_goods"
    dangerous_activities = "dangerous_activities"
    misinformation = "misinformation"
    fraud_scams_spam = "fraud_scams_spam"
    privacy_personal_data = "privacy_personal_data"
    intellectual_property = "intellectual_property"
    synthetic_media = "synthetic_media"


#: What each category covers, in words; used to classify sections of documents that carry no
#: category of their own (generic Markdown/HTML/text policies).
CATEGORY_DESCRIPTIONS: dict[Category, str] = {
    Category.violent_extremism: "terrorist and violent extremist organisations, praise, support, recruitment, "
    "hateful organisations, criminal organisations, mass violence perpetrators",
    Category.hate_speech: "hate speech attacks on protected attributes race religion gender sexual orientation, "
    "slurs, dehumanisation, hateful ideologies",
    Category.harassment_bullying: "harassment and bullying, targeted insults, degrading remarks, threats to "
    "individuals, sexual harassment, brigading, coordinated abuse",
    Category.violence_graphic: "violent threats and incitement, graphic violence, gore, shocking content, "
    "animal abuse and cruelty, violent and criminal behavior",
    Category.suicide_self_harm: "suicide, self-harm, eating disorders, disordered eating, risky weight loss, "
    "body image",
    Category.child_safety: "sexualisation or exploitation of minors, youth abuse, grooming, minors' safety, "
    "young people",
    Category.adult_sexual_content: "nudity, sexual activity, sexual services, body exposure, sexualized behavior, "
    "adult sexual abuse",
    Category.regulated_goods: "weapons, firearms, drugs, alcohol, tobacco, gambling, regulated goods and "
    "services, commercial activities, trade of controlled substances",
    Category.dangerous_activities: "dangerous challenges, stunts and dares, instructions that endanger, "
    "risky activities leading to physical harm",
    Category.misinformation: "harmful misinformation, health misinformation, civic and election integrity, "
    "conspiracy theories, manipulated media",
    Category.fraud_scams_spam: "frauds and scams, phishing, fake engagement, spam, impersonation, deceptive "
    "behavior, platform manipulation",
    Category.privacy_personal_data: "personal information, doxxing, private data, non-consensual imagery, "
    "platform security, hacking",
    Category.intellectual_property: "copyright and trademark infringement, unoriginal content, reposts without "
    "permission, intellectual property rights",
    Category.synthetic_media: "AI-generated content, edited media, deepfakes, synthetic media labelling and "
    "disclosure",
}

RULE_KINDS = ("prohibited", "restricted", "allowed", "requirement")
SEVERITIES = ("critical", "high", "medium", "low")
ACTIONS = (
    "remove",
    "age_restrict",
    "label",
    "reduce_reach",
    "warn",
    "escalate",
    "suspend_account",
    "strike",
    "demonetize",
    "none",
)
