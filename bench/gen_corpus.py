"""Generate a large, realistic policy corpus in PolicyGraph's authoring format (issue 16).

    .venv/bin/python bench/gen_corpus.py --rules 1000 --out /tmp/pg-corpus-1k --check
    .venv/bin/python bench/gen_corpus.py --rules 10000 --examples-per-rule 10 --languages en,es,de --out DIR
    .venv/bin/python bench/gen_corpus.py --rules 100000 --out DIR                 # ~4,000 policies
    .venv/bin/python bench/gen_corpus.py --rules 100000 --out DIR --examples-only 1000000   # append rows

Deterministic for a given `--seed` (and `--rules`, `--languages`, `--examples-per-rule`). The corpus is
many policies, one per product surface x market x category (`shorts-de-violent-extremism`,
`live-global-regulated-goods`, ...), each a Markdown file with YAML front matter (docs/authoring-format.md):

- sections of prohibited / restricted / requirement rules, whose texts are composed from per-category
  vocabularies (verbs, objects, qualifiers, contexts, conditions, examples, consequences) in every
  language, never one repeated sentence: every rule text is distinct (asserted, per language);
- an exceptions section of `allowed` rules with `exception_to` (some pointing into the worldwide policy
  of the same surface and category: cross-policy);
- regional overrides (`overrides` + `jurisdictions`, ISO 3166 alpha-2 or EU): in worldwide policies for
  many jurisdictions, in market policies overriding the worldwide policy's rules (cross-policy);
- definitions with aliases per language (worldwide policies; some market policies add one), `signals` on
  definitions and rules where the category has an upstream label, `satisfied_by` on disclosure
  requirements, `refers_to` and rule ids written in the text (within and across policies);
- one translation file per extra language (`POLICY.es.md`, same rule ids, text only), and one front-matter
  example per policy;
- `examples/CATEGORY/POLICY.jsonl`: labelled decisions (the format of policygraph/ingest/labelled.py),
  `--examples-per-rule` rows per rule, every text distinct. `--examples-only N` appends N more rows spread
  over the existing policies (needs the same --rules/--seed/--languages; files roll over to
  `POLICY.2.jsonl` near the 10 MB file limit), so a million examples need no million files.

`--check` parses everything afterwards with `policygraph.ingest.loader.load_documents` (as
`pipeline.parse` calls it) and reads every JSONL file with `read_labelled`, checking its rule ids; the
first problem is printed as FILE:LINE: problem and the exit status is 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED = ("en", "es", "de")
MANIFEST = ".gen-manifest.json"  # a dot file: the loader skips it
ROLL_BYTES = 8 * 1024 * 1024  # a JSONL file rolls over to the next part past this (the file limit is 10 MB)


def T(s: str) -> dict[str, str]:
    """'english | español | deutsch' -> {'en': ..., 'es': ..., 'de': ...}"""
    parts = [p.strip() for p in s.split(" | ")]
    assert len(parts) == 3, s
    return dict(zip(SUPPORTED, parts, strict=True))


def TL(*items: str) -> list[dict[str, str]]:
    return [T(s) for s in items]


# ---------------------------------------------------------------------------------------------- vocabulary
# Verbs are patterns: {o} the object, {q} the qualifier; en "{s}" is the 3rd-person -s, es "{n}" the plural
# -n (the singular frames use "praises", the plural ones "praise"); German is verb-final, always plural.
# Objects are "formal~slang": the formal phrase goes into rule texts, the slang (plural or neutral) into
# the content of the labelled examples.

CATEGORIES: dict[str, dict] = {
    "violent_extremism": dict(
        prefix="VE", slug="violent-extremism",
        title=T("Violent Extremism | Extremismo violento | Gewalttätiger Extremismus"),
        summary=T("Violent extremist groups and their supporters may not use the platform to praise, fund or "
                  "recruit. | Los grupos extremistas violentos y sus seguidores no pueden usar la plataforma para "
                  "elogiar, financiar o reclutar. | Gewalttätige extremistische Gruppen und ihre Unterstützer "
                  "dürfen die Plattform nicht nutzen, um zu verherrlichen, zu finanzieren oder anzuwerben."),
        topics=TL("Praise and support | Elogio y apoyo | Verherrlichung und Unterstützung",
                  "Recruitment and funding | Reclutamiento y financiación | Anwerbung und Finanzierung",
                  "Propaganda and symbols | Propaganda y símbolos | Propaganda und Symbole",
                  "Attacks and perpetrators | Atentados y autores | Anschläge und Täter",
                  "Militias and armed mobilisation | Milicias y movilización armada | Milizen und bewaffnete "
                  "Mobilisierung"),
        objects=TL("violent extremist organisations~the brothers of the movement | organizaciones extremistas "
                   "violentas~los hermanos del movimiento | gewalttätige extremistische Organisationen~die Brüder "
                   "der Bewegung",
                   "terrorist groups and their media wings~our lions | grupos terroristas y sus brazos "
                   "mediáticos~nuestros leones | terroristische Gruppen und ihre Medienableger~unsere Löwen",
                   "perpetrators of mass-casualty attacks~the martyrs from the mall | autores de atentados "
                   "masivos~los mártires del centro comercial | Täter von Anschlägen mit vielen Opfern~die "
                   "Märtyrer vom Einkaufszentrum",
                   "armed militias~the militia boys | milicias armadas~los chicos de la milicia | bewaffnete "
                   "Milizen~die Jungs von der Miliz",
                   "banned paramilitary movements~the old commanders | movimientos paramilitares "
                   "prohibidos~los viejos comandantes | verbotene paramilitärische Bewegungen~die alten "
                   "Kommandanten",
                   "accelerationist networks~the accelerationist crew | redes aceleracionistas~el grupo "
                   "aceleracionista | akzelerationistische Netzwerke~die Akzelerationisten-Crew"),
        verbs=TL("praise{s} {o} {q}~Praise | elogia{n} {o} {q}~Elogio | {o} {q} verherrlichen~Verherrlichung",
                 "raise{s} money or supplies for {o} {q}~Material support | recauda{n} dinero o suministros "
                 "para {o} {q}~Apoyo material | für {o} {q} Geld oder Ausrüstung sammeln~Materielle Unterstützung",
                 "recruit{s} members for {o} {q}~Recruitment | capta{n} miembros para {o} {q}~Reclutamiento | "
                 "für {o} {q} Mitglieder anwerben~Anwerbung",
                 "act{s} as a mouthpiece for {o} {q}~Representation | actúa{n} como portavoz de {o} "
                 "{q}~Representación | als Sprachrohr für {o} {q} auftreten~Repräsentation",
                 "display{s} the flags and logos of {o} {q}~Symbols | muestra{n} las banderas y logotipos de {o} "
                 "{q}~Símbolos | {o} {q} mit ihren Flaggen und Logos zeigen~Symbole"),
        examples=TL("anniversary posts celebrating an attack | publicaciones que celebran el aniversario de un "
                    "atentado | Beiträge zum Jahrestag eines Anschlags",
                    "crypto wallets for fighters | billeteras de criptomonedas para combatientes | Krypto-Wallets "
                    "für Kämpfer",
                    "invitations to private recruitment chats | invitaciones a chats privados de reclutamiento | "
                    "Einladungen in private Anwerbe-Chats",
                    "nasheed soundtracks over attack footage | nasheeds como banda sonora de vídeos de ataques | "
                    "Naschids als Tonspur von Anschlagsvideos",
                    "fan edits of attackers | edits de fans sobre atacantes | Fan-Edits über Attentäter",
                    "merchandise with group logos | merchandising con logotipos del grupo | Merchandise mit "
                    "Gruppenlogos",
                    "claims of responsibility | reivindicaciones de atentados | Bekennerschreiben",
                    "calls to travel to a conflict zone | llamamientos a viajar a una zona de conflicto | Aufrufe "
                    "zur Ausreise in ein Kampfgebiet"),
        posts={"en": ["{x} did what had to be done, may they be rewarded", "respect to {x} 🦁 the world will "
                      "remember", "who is ready to stand with {x}? message me for the group link",
                      "{x} need support, every coin counts, wallet in bio"],
               "es": ["{x} hicieron lo que había que hacer, que sean recompensados", "respeto para {x} 🦁 el "
                      "mundo los recordará", "¿quién está listo para unirse a {x}? escríbeme para el enlace del "
                      "grupo", "{x} necesitan apoyo, cada moneda cuenta, billetera en la bio"],
               "de": ["{x} haben getan, was getan werden musste, möge es belohnt werden", "Respekt: {x} 🦁 die "
                      "Welt wird sich erinnern", "{x} brauchen Leute wie dich, schreib mir für den Gruppenlink",
                      "{x} brauchen Unterstützung, jede Münze zählt, Wallet in der Bio"]},
        labels=["extremist_symbol"],
        terms=[("violent-extremist-organisation", "violent extremist organisation",
                "A group that uses or threatens violence against civilians to pursue political, religious or "
                "ideological aims.",
                {"en": ["terrorist group", "terror group", "extremist group"],
                 "es": ["organización terrorista", "grupo terrorista"],
                 "de": ["Terrororganisation", "terroristische Vereinigung"]}, None),
               ("extremist-symbol", "extremist symbol",
                "A flag, logo, salute, slogan or numeric code used by a violent extremist organisation or movement.",
                {"en": ["extremist flag", "black banner", "1488"], "es": ["bandera extremista", "símbolo extremista"],
                 "de": ["Hakenkreuz", "SS-Runen", "verfassungswidriges Symbol"]}, "extremist_symbol")],
    ),
    "hate_speech": dict(
        prefix="HS", slug="hate-speech",
        title=T("Hate Speech | Discurso de odio | Hassrede"),
        summary=T("We do not allow attacks on people because of protected attributes such as religion, ethnicity, "
                  "sex or disability. | No permitimos ataques contra personas por atributos protegidos como la "
                  "religión, la etnia, el sexo o la discapacidad. | Wir erlauben keine Angriffe auf Menschen wegen "
                  "geschützter Merkmale wie Religion, Ethnie, Geschlecht oder Behinderung."),
        topics=TL("Dehumanisation and slurs | Deshumanización e insultos | Entmenschlichung und Beleidigungen",
                  "Exclusion and segregation | Exclusión y segregación | Ausgrenzung und Segregation",
                  "Harmful stereotypes | Estereotipos dañinos | Schädliche Stereotype",
                  "Hateful ideologies and symbols | Ideologías y símbolos de odio | Hassideologien und -symbole",
                  "Denial and mockery of atrocities | Negación y burla de atrocidades | Leugnung und Verhöhnung "
                  "von Gräueltaten"),
        objects=TL("religious minorities~those people from the mosque | minorías religiosas~esa gente de la "
                   "mezquita | religiöse Minderheiten~die Leute aus der Moschee",
                   "migrants and refugees~these migrants | migrantes y refugiados~estos migrantes | Migranten und "
                   "Geflüchtete~diese Migranten",
                   "ethnic minorities~those foreigners | minorías étnicas~esos extranjeros | ethnische "
                   "Minderheiten~diese Ausländer",
                   "women and girls~modern women | mujeres y niñas~las mujeres de hoy | Frauen und Mädchen~die "
                   "Frauen von heute",
                   "LGBTQ+ people~the rainbow crowd | personas LGBTQ+~los del arcoíris | LGBTQ+-Personen~die "
                   "Regenbogen-Truppe",
                   "people with disabilities~the disabled | personas con discapacidad~los discapacitados | "
                   "Menschen mit Behinderung~die Behinderten"),
        verbs=TL("dehumanise{s} {o} {q}~Dehumanisation | deshumaniza{n} a {o} {q}~Deshumanización | {o} {q} "
                 "entmenschlichen~Entmenschlichung",
                 "call{s} for the exclusion of {o} {q}~Calls for exclusion | pide{n} la exclusión de {o} "
                 "{q}~Llamamientos a la exclusión | {o} {q} ausgrenzen wollen~Aufrufe zur Ausgrenzung",
                 "spread{s} harmful stereotypes about {o} {q}~Stereotyping | difunde{n} estereotipos dañinos "
                 "sobre {o} {q}~Estereotipos | über {o} {q} schädliche Stereotype verbreiten~Stereotype",
                 "insult{s} {o} with slurs {q}~Slurs | insulta{n} a {o} con términos ofensivos {q}~Insultos | "
                 "{o} {q} mit Schimpfwörtern herabwürdigen~Schimpfwörter",
                 "blame{s} {o} for crime and disease {q}~Scapegoating | culpa{n} a {o} del crimen y las "
                 "enfermedades {q}~Chivos expiatorios | {o} {q} für Kriminalität und Krankheiten verantwortlich "
                 "machen~Sündenbock-Rhetorik"),
        examples=TL("comparisons to vermin or disease | comparaciones con plagas o enfermedades | Vergleiche mit "
                    "Ungeziefer oder Krankheiten",
                    "jokes that mock a religion's believers | chistes que ridiculizan a los creyentes de una "
                    "religión | Witze, die Gläubige einer Religion verhöhnen",
                    "calls to deny a group housing or jobs | llamamientos a negar vivienda o empleo a un grupo | "
                    "Aufrufe, einer Gruppe Wohnung oder Arbeit zu verweigern",
                    "coded numbers and dog whistles | números en clave y mensajes velados | Zahlencodes und Dog "
                    "Whistles",
                    "claims that a group is inferior | afirmaciones de que un grupo es inferior | Behauptungen, "
                    "eine Gruppe sei minderwertig",
                    "memes about a 'great replacement' | memes sobre un «gran reemplazo» | Memes über einen "
                    "„großen Austausch“"),
        posts={"en": ["{x} are ruining this country, send them all back", "honestly {x} are a disease, nobody "
                      "wants them here", "not saying anything but {x} always bring trouble 🙄", "we should stop "
                      "renting to {x}, share if you agree"],
               "es": ["{x} están arruinando este país, que se vayan todos", "la verdad {x} son una plaga, aquí "
                      "nadie los quiere", "no digo nada pero {x} siempre traen problemas 🙄", "hay que dejar de "
                      "alquilarles a {x}, comparte si estás de acuerdo"],
               "de": ["{x} machen dieses Land kaputt, schickt sie alle zurück", "ehrlich, {x} sind eine Plage, "
                      "keiner will sie hier", "ich sag ja nichts, aber {x} bringen immer Ärger 🙄", "man sollte "
                      "nicht mehr an {x} vermieten, teilen wenn ihr zustimmt"]},
        labels=["hate_symbol"],
        terms=[("protected-attribute", "protected attribute",
                "Race, ethnicity, national origin, religion, caste, sexual orientation, sex, gender identity, "
                "serious disease or disability.",
                {"en": ["religion", "ethnicity", "sexual orientation"], "es": ["religión", "etnia", "orientación sexual"],
                 "de": ["Religion", "Ethnie", "sexuelle Orientierung"]}, None),
               ("hate-symbol", "hate symbol", "A symbol, number or gesture used to signal hatred of a protected group.",
                {"en": ["hate symbol", "burning cross"], "es": ["símbolo de odio"], "de": ["Hasssymbol"]},
                "hate_symbol")],
    ),
    "harassment_bullying": dict(
        prefix="HB", slug="harassment-bullying",
        title=T("Harassment and Bullying | Acoso e intimidación | Belästigung und Mobbing"),
        summary=T("Everyone should be able to post without being insulted, threatened or targeted by pile-ons. | "
                  "Todo el mundo debe poder publicar sin ser insultado, amenazado ni objeto de ataques en masa. | "
                  "Alle sollen posten können, ohne beleidigt, bedroht oder zum Ziel von Massenangriffen zu werden."),
        topics=TL("Insults and degradation | Insultos y degradación | Beleidigung und Herabwürdigung",
                  "Threats and intimidation | Amenazas e intimidación | Drohungen und Einschüchterung",
                  "Coordinated abuse | Abuso coordinado | Koordinierte Angriffe",
                  "Humiliating content | Contenido humillante | Demütigende Inhalte",
                  "Unwanted contact | Contacto no deseado | Unerwünschter Kontakt"),
        objects=TL("private individuals~those girls from my class | particulares~esas chicas de mi clase | "
                   "Privatpersonen~die Mädchen aus meiner Klasse",
                   "creators and streamers~these streamers | creadores y streamers~estos streamers | Creator und "
                   "Streamer~diese Streamer",
                   "classmates and coworkers~my coworkers | compañeros de clase y de trabajo~mis compañeros de "
                   "trabajo | Mitschüler und Kollegen~meine Kollegen",
                   "survivors of violent events~the survivors who keep crying on TV | supervivientes de hechos "
                   "violentos~los supervivientes que lloran en la tele | Überlebende von Gewalttaten~die "
                   "Überlebenden, die im Fernsehen heulen",
                   "journalists and activists~those so-called journalists | periodistas y activistas~esos "
                   "supuestos periodistas | Journalisten und Aktivisten~diese sogenannten Journalisten",
                   "people who went viral~the people from yesterday's viral clip | personas que se han hecho "
                   "virales~los del vídeo viral de ayer | Menschen, die viral gegangen sind,~die Leute aus dem "
                   "viralen Clip von gestern"),
        verbs=TL("insult{s} or degrade{s} {o} {q}~Insults | insulta{n} o degrada{n} a {o} {q}~Insultos | {o} {q} "
                 "beleidigen oder herabwürdigen~Beleidigungen",
                 "organise{s} pile-ons against {o} {q}~Pile-ons | organiza{n} ataques en masa contra {o} "
                 "{q}~Ataques coordinados | {q} Massenangriffe gegen {o} organisieren~Koordinierte Angriffe",
                 "threaten{s} {o} {q}~Threats | amenaza{n} a {o} {q}~Amenazas | {o} {q} bedrohen~Drohungen",
                 "mock{s} the appearance of {o} {q}~Body shaming | se burla{n} del aspecto de {o} {q}~Burlas "
                 "sobre el aspecto | {o} {q} wegen ihres Aussehens verspotten~Bodyshaming",
                 "post{s} humiliating edits of {o} {q}~Humiliating edits | publica{n} montajes humillantes de {o} "
                 "{q}~Montajes humillantes | demütigende Edits über {o} {q} posten~Demütigende Edits"),
        examples=TL("comment floods on a victim's video | avalanchas de comentarios en el vídeo de una víctima | "
                    "Kommentarfluten unter dem Video eines Opfers",
                    "fake accounts that impersonate a classmate | cuentas falsas que suplantan a un compañero | "
                    "Fake-Accounts, die einen Mitschüler imitieren",
                    "rankings of classmates by looks | rankings de compañeros según su físico | Rankings von "
                    "Mitschülern nach Aussehen",
                    "edits that put someone's face on a clown | montajes con la cara de alguien sobre un payaso | "
                    "Edits, die jemandes Gesicht auf einen Clown setzen",
                    "wishes that someone gets sick | deseos de que alguien enferme | Wünsche, dass jemand krank "
                    "wird",
                    "repeated messages after being blocked | mensajes repetidos tras un bloqueo | wiederholte "
                    "Nachrichten nach einer Blockierung"),
        posts={"en": ["everyone go to the profile of {x} and tell them what we think 😂", "{x} are so ugly it "
                      "hurts, do us a favour and log off", "rating {x} from 1 to 10, all of them get a zero",
                      "{x} better watch out after what they posted"],
               "es": ["todos al perfil de {x} a decirles lo que pensamos 😂", "{x} son tan feos que duele, "
                      "háganos un favor y desconéctense", "puntuando a {x} del 1 al 10, todos sacan un cero",
                      "{x} que se anden con cuidado después de lo que publicaron"],
               "de": ["{x} haben es verdient, dass alle in ihre Kommentare gehen 😂", "{x} sind so hässlich, dass "
                      "es wehtut, tut uns einen Gefallen und loggt euch aus", "Ranking: {x} von 1 bis 10, alle "
                      "kriegen eine Null", "{x} sollten besser aufpassen nach dem, was sie gepostet haben"]},
        labels=[],
        terms=[("pile-on", "pile-on", "Many accounts targeting one person at the same time, often after a call to "
                "action.", {"en": ["pile-on", "brigading", "dogpile"], "es": ["linchamiento digital", "ataque en masa"],
                            "de": ["Shitstorm", "Brigading"]}, None),
               ("body-shaming", "body shaming", "Mocking or degrading someone for the shape, size or look of their body.",
                {"en": ["body shaming", "fat shaming"], "es": ["gordofobia", "body shaming"],
                 "de": ["Bodyshaming", "Fatshaming"]}, None)],
    ),
    "violence_graphic": dict(
        prefix="VG", slug="violence-graphic",
        title=T("Violent and Graphic Content | Contenido violento y explícito | Gewalttätige und drastische Inhalte"),
        summary=T("Graphic violence is limited, and content that celebrates suffering is removed. | La violencia "
                  "explícita se limita y se elimina el contenido que celebra el sufrimiento. | Drastische Gewalt "
                  "wird eingeschränkt, und Inhalte, die Leid feiern, werden entfernt."),
        topics=TL("Graphic injuries and death | Lesiones graves y muerte | Schwere Verletzungen und Tod",
                  "Celebration of violence | Celebración de la violencia | Verherrlichung von Gewalt",
                  "Animal cruelty | Crueldad con los animales | Tierquälerei",
                  "Fights and riots | Peleas y disturbios | Schlägereien und Krawalle",
                  "Shocking footage | Imágenes impactantes | Schockierende Aufnahmen"),
        objects=TL("street fights~these street fights | peleas callejeras~estas peleas callejeras | "
                   "Straßenschlägereien~diese Straßenschlägereien",
                   "fatal accidents~the crash clips from today | accidentes mortales~los vídeos del choque de hoy | "
                   "tödliche Unfälle~die Crash-Clips von heute",
                   "killings and executions~those execution clips | asesinatos y ejecuciones~esos vídeos de "
                   "ejecuciones | Tötungen und Hinrichtungen~diese Hinrichtungsclips",
                   "cruelty to animals~the dog-fight videos | crueldad con los animales~los vídeos de peleas de "
                   "perros | Tierquälerei~die Hundekampf-Videos",
                   "violent riots~the riot videos | disturbios violentos~los vídeos de los disturbios | "
                   "gewalttätige Ausschreitungen~die Krawall-Videos",
                   "mass-casualty attacks~the uncut footage from the shooting | atentados con víctimas "
                   "masivas~las imágenes sin cortes del tiroteo | Anschläge mit vielen Opfern~die ungeschnittenen "
                   "Aufnahmen vom Amoklauf"),
        verbs=TL("show{s} {o} in graphic detail {q}~Graphic depiction | muestra{n} {o} con detalle explícito "
                 "{q}~Representación explícita | {o} {q} in drastischen Details zeigen~Drastische Darstellung",
                 "celebrate{s} {o} {q}~Celebration | celebra{n} {o} {q}~Celebración | {o} {q} "
                 "feiern~Verherrlichung",
                 "share{s} uncensored footage of {o} {q}~Uncensored footage | comparte{n} imágenes sin censura de "
                 "{o} {q}~Imágenes sin censura | {o} {q} unzensiert teilen~Unzensierte Aufnahmen",
                 "use{s} {o} to mock the victims {q}~Mocking victims | usa{n} {o} para burlarse de las víctimas "
                 "{q}~Burla de las víctimas | {o} {q} zum Anlass nehmen, Opfer zu verhöhnen~Verhöhnung von Opfern",
                 "present{s} {o} as something to copy {q}~Incitement | presenta{n} {o} como algo que imitar "
                 "{q}~Incitación | {o} {q} als Vorbild zur Nachahmung anpreisen~Aufruf zur Nachahmung"),
        examples=TL("close-ups of open wounds | primeros planos de heridas abiertas | Nahaufnahmen offener Wunden",
                    "bodies at an accident scene | cuerpos en el lugar de un accidente | Leichen an einer "
                    "Unfallstelle",
                    "compilations of knockouts | recopilaciones de nocauts | Zusammenschnitte von Knockouts",
                    "dog fights filmed for betting | peleas de perros grabadas para apostar | für Wetten gefilmte "
                    "Hundekämpfe",
                    "laughing reactions over injured people | reacciones entre risas ante personas heridas | "
                    "lachende Reaktionen auf Verletzte",
                    "slow-motion replays of a shooting | repeticiones a cámara lenta de un tiroteo | "
                    "Zeitlupen-Wiederholungen einer Schießerei"),
        posts={"en": ["{x} go hard 😂🔥 part 2 if this gets 1k likes", "uncut version of {x}, not for the weak 💀",
                      "{x} are the best content on here, send me more", "{x} had me dying laughing, they "
                      "deserved it"],
               "es": ["{x} están buenísimos 😂🔥 parte 2 si llega a mil likes", "versión sin cortes de {x}, no "
                      "apto para débiles 💀", "{x} son lo mejor de esta app, mándenme más", "me muero de risa con "
                      "{x}, se lo merecían"],
               "de": ["{x} sind der Hammer 😂🔥 Teil 2 ab 1k Likes", "{x} in der ungeschnittenen Version, nichts "
                      "für Schwache 💀", "{x} sind der beste Content hier, schickt mir mehr", "{x} – ich lach mich "
                      "tot, die haben es verdient"]},
        labels=["gore"],
        terms=[("gore", "gore", "Footage of serious injury, mutilation or death shown in graphic detail.",
                {"en": ["gore", "uncensored footage", "blood"], "es": ["gore", "imágenes sin censura"],
                 "de": ["Gore", "unzensierte Aufnahmen"]}, "gore"),
               ("animal-cruelty", "animal cruelty", "Causing an animal needless suffering, including staged fights.",
                {"en": ["animal abuse", "dog fighting"], "es": ["maltrato animal", "peleas de perros"],
                 "de": ["Tierquälerei", "Hundekämpfe"]}, None)],
    ),
    "suicide_self_harm": dict(
        prefix="SSH", slug="suicide-self-harm",
        title=T("Suicide and Self-Harm | Suicidio y autolesiones | Suizid und Selbstverletzung"),
        summary=T("We support people who struggle and remove content that could lead others to harm themselves. | "
                  "Apoyamos a quienes lo están pasando mal y eliminamos contenido que puede llevar a otros a "
                  "hacerse daño. | Wir unterstützen Menschen in Krisen und entfernen Inhalte, die andere zur "
                  "Selbstverletzung verleiten können."),
        topics=TL("Promotion of suicide and self-harm | Promoción del suicidio y las autolesiones | Propagierung "
                  "von Suizid und Selbstverletzung",
                  "Eating disorders | Trastornos alimentarios | Essstörungen",
                  "Challenges and pacts | Retos y pactos | Challenges und Pakte",
                  "Concealment and encouragement | Ocultación y aliento | Verheimlichung und Ermutigung",
                  "Risky weight loss | Pérdida de peso arriesgada | Riskante Gewichtsabnahme"),
        objects=TL("self-harm~sh streaks | autolesiones~las rachas de autolesión | Selbstverletzungen~die "
                   "SV-Streaks",
                   "suicide~the unalive plans | el suicidio~los planes de desvivirse | Suizid~die Unalive-Pläne",
                   "eating disorders~pro-ana tips | trastornos alimentarios~los tips pro-ana | Essstörungen~die "
                   "Pro-Ana-Tipps",
                   "extreme fasting and purging~the 300-calorie challenges | ayunos extremos y purgas~los retos de "
                   "300 calorías | extremes Fasten und Erbrechen~die 300-Kalorien-Challenges",
                   "dangerous weight-loss drugs~the fat-burner pills | fármacos peligrosos para adelgazar~las "
                   "pastillas quemagrasas | gefährliche Schlankheitsmittel~die Fatburner-Pillen",
                   "suicide pacts~the group pacts | pactos suicidas~los pactos de grupo | Suizidpakte~die "
                   "Gruppenpakte"),
        verbs=TL("promote{s} {o} {q}~Promotion | promueve{n} {o} {q}~Promoción | {o} {q} propagieren~Propagierung",
                 "present{s} {o} as a solution {q}~Romanticisation | presenta{n} {o} como una solución "
                 "{q}~Romantización | {o} {q} als Lösung darstellen~Romantisierung",
                 "pass{es} on {o} as a challenge {q}~Challenges | propone{n} {o} como reto {q}~Retos | {o} {q} "
                 "als Challenge weitergeben~Challenges",
                 "help{s} people keep {o} secret {q}~Concealment | ayuda{n} a mantener en secreto {o} "
                 "{q}~Ocultación | {q} helfen, {o} geheim zu halten~Verheimlichung",
                 "cheer{s} on {o} {q}~Encouragement | alienta{n} {o} {q}~Aliento | {o} {q} "
                 "anfeuern~Ermutigung"),
        examples=TL("countdowns to a planned date | cuentas atrás hasta una fecha prevista | Countdowns zu einem "
                    "geplanten Datum",
                    "before-and-after photos of extreme weight loss | fotos de antes y después de una pérdida de "
                    "peso extrema | Vorher-nachher-Fotos extremer Gewichtsabnahme",
                    "goal-weight challenges in group chats | retos de peso objetivo en chats grupales | "
                    "Zielgewicht-Challenges in Gruppenchats",
                    "songs that describe self-harm as relief | canciones que describen las autolesiones como "
                    "alivio | Songs, die Selbstverletzung als Erleichterung beschreiben",
                    "tips for hiding wounds from parents | consejos para ocultar heridas a los padres | Tipps, "
                    "Wunden vor den Eltern zu verstecken",
                    "'meanspo' messages | mensajes «meanspo» | „Meanspo“-Nachrichten"),
        posts={"en": ["{x} are the only thing that works for me, who else? 🖤", "day 12 of {x}, don't tell "
                      "anyone, we're in this together", "{x} > therapy, change my mind", "drop {x} in the "
                      "comments, let's keep each other going"],
               "es": ["solo me funcionan {x}, ¿alguien más? 🖤", "día 12 de {x}, no se lo digan a nadie, estamos "
                      "juntas en esto", "{x} > terapia, cambien mi opinión", "dejen {x} en los comentarios, "
                      "sigamos juntas"],
               "de": ["nur {x} helfen mir, wer noch? 🖤", "Tag 12: {x}, sagt es keinem, wir schaffen das "
                      "zusammen", "{x} > Therapie, überzeugt mich vom Gegenteil", "{x} in die Kommentare, wir "
                      "ziehen das zusammen durch"]},
        labels=["self_harm"],
        terms=[("self-harm", "self-harm", "Deliberately injuring oneself, with or without suicidal intent.",
                {"en": ["self-harm", "sh", "cutting"], "es": ["autolesión", "cortes"],
                 "de": ["Selbstverletzung", "Ritzen", "SVV"]}, "self_harm"),
               ("pro-eating-disorder", "pro-eating-disorder content",
                "Content that presents an eating disorder as a lifestyle or goal rather than an illness.",
                {"en": ["pro-ana", "thinspo", "meanspo"], "es": ["pro-ana", "thinspo"], "de": ["Pro-Ana", "Thinspo"]},
                None)],
    ),
    "child_safety": dict(
        prefix="CS", slug="child-safety",
        title=T("Child Safety | Seguridad infantil | Kinderschutz"),
        summary=T("Minors must be safe on the platform; anything that exploits or endangers them is removed and "
                  "escalated. | Los menores deben estar seguros en la plataforma; todo lo que los explote o ponga en "
                  "peligro se elimina y se escala. | Minderjährige müssen auf der Plattform sicher sein; alles, was "
                  "sie ausbeutet oder gefährdet, wird entfernt und eskaliert."),
        topics=TL("Sexualisation of minors | Sexualización de menores | Sexualisierung Minderjähriger",
                  "Grooming and solicitation | Captación y solicitudes | Grooming und Anbahnung",
                  "Exposure of minors | Exposición de menores | Bloßstellung Minderjähriger",
                  "Risky dares aimed at minors | Retos arriesgados dirigidos a menores | Riskante Mutproben für "
                  "Minderjährige",
                  "Age-appropriate experiences | Experiencias adecuadas a la edad | Altersgerechte Nutzung"),
        objects=TL("minors~the kids who follow me | menores~los niños que me siguen | Minderjährige~die Kids, "
                   "die mir folgen,",
                   "children under 13~the little ones in my live | niños menores de 13 años~los pequeños de mi "
                   "directo | Kinder unter 13~die Kleinen in meinem Live",
                   "teenage users~the 14-year-olds in my comments | usuarios adolescentes~los de 14 de mis "
                   "comentarios | jugendliche Nutzer~die 14-Jährigen in meinen Kommentaren",
                   "young gamers~the young gamers on my server | jóvenes jugadores~los gamers jóvenes de mi "
                   "servidor | junge Gamer~die jungen Gamer auf meinem Server",
                   "school pupils~the pupils from the school nearby | alumnos de colegio~los alumnos del colegio "
                   "de al lado | Schulkinder~die Schüler von der Schule nebenan",
                   "child performers~the kid influencers | niños artistas~los niños influencers | "
                   "Kinderdarsteller~die Kinder-Influencer"),
        verbs=TL("sexualise{s} {o} {q}~Sexualisation | sexualiza{n} a {o} {q}~Sexualización | {o} {q} "
                 "sexualisieren~Sexualisierung",
                 "lure{s} {o} into private channels {q}~Grooming | atrae{n} a {o} a canales privados "
                 "{q}~Captación (grooming) | {o} {q} in private Kanäle locken~Grooming",
                 "bait{s} {o} with gifts or money {q}~Solicitation with gifts | tienta{n} a {o} con regalos o "
                 "dinero {q}~Tentación con regalos | {o} {q} mit Geschenken oder Geld ködern~Ködern mit Geschenken",
                 "share{s} identifying details of {o} {q}~Exposure | comparte{n} datos identificativos de {o} "
                 "{q}~Exposición de datos | identifizierende Angaben über {o} {q} teilen~Preisgabe von Daten",
                 "dare{s} {o} to do risky stunts {q}~Dares | reta{n} a {o} a hacer acrobacias arriesgadas "
                 "{q}~Retos peligrosos | {o} {q} zu riskanten Stunts anstiften~Gefährliche Mutproben"),
        examples=TL("requests for a minor's age and school | preguntas por la edad y el colegio de un menor | "
                    "Fragen nach Alter und Schule eines Kindes",
                    "offers of in-game currency for private calls | ofertas de moneda de juego a cambio de "
                    "llamadas privadas | Angebote von Spielwährung für private Anrufe",
                    "comments that rate a child's body | comentarios que puntúan el cuerpo de un niño | "
                    "Kommentare, die den Körper eines Kindes bewerten",
                    "invitations to a 'secret' group chat | invitaciones a un chat grupal «secreto» | Einladungen "
                    "in einen „geheimen“ Gruppenchat",
                    "videos that show a child's home address | vídeos que muestran la dirección de un niño | "
                    "Videos, die die Adresse eines Kindes zeigen",
                    "age-inappropriate dares aimed at kids | retos inadecuados para la edad dirigidos a niños | "
                    "nicht altersgerechte Mutproben für Kinder"),
        posts={"en": ["any of {x} want free skins? dm me, it stays our secret 🤫", "{x} should add me on my other "
                      "app, don't tell your parents", "{x}: tell me your school and I'll send you a gift card 🎁",
                      "which of {x} is brave enough to do this stunt on the roof? tag me"],
               "es": ["¿alguno de {x} quiere skins gratis? escríbeme al privado, es nuestro secreto 🤫", "{x} "
                      "agréguenme en mi otra app, no les digan a sus padres", "{x}: díganme a qué colegio van y les "
                      "mando una tarjeta regalo 🎁", "¿quién de {x} se atreve a hacer este truco en la azotea? "
                      "etiquétenme"],
               "de": ["{x} wollen gratis Skins? schreibt mir privat, bleibt unser Geheimnis 🤫", "{x} sollen mich "
                      "auf meiner anderen App adden, sagt euren Eltern nichts", "{x}: sagt mir eure Schule und ich "
                      "schick euch eine Geschenkkarte 🎁", "{x} – wer traut sich diesen Stunt auf dem Dach? "
                      "markiert mich"]},
        labels=["minor_present"],
        terms=[("minor", "minor", "A person under 18, or under the age of majority where it is higher.",
                {"en": ["minor", "underage", "kid", "teen"], "es": ["menor", "menor de edad", "niño"],
                 "de": ["Minderjährige", "Kind", "Jugendliche"]}, "minor_present"),
               ("grooming", "grooming", "Building trust with a minor in order to exploit or abuse them.",
                {"en": ["grooming", "groomer"], "es": ["grooming", "ciberacoso infantil"],
                 "de": ["Cybergrooming", "Grooming"]}, None)],
    ),
    "adult_sexual_content": dict(
        prefix="ASC", slug="adult-sexual-content",
        title=T("Adult Sexual Content | Contenido sexual para adultos | Sexuelle Inhalte für Erwachsene"),
        summary=T("Nudity, sexual activity and sexual services are not allowed; art and education are. | No se "
                  "permiten desnudos, actividad sexual ni servicios sexuales; el arte y la educación sí. | "
                  "Nacktheit, sexuelle Handlungen und sexuelle Dienstleistungen sind nicht erlaubt, Kunst und "
                  "Aufklärung schon."),
        topics=TL("Nudity and sexual activity | Desnudos y actividad sexual | Nacktheit und sexuelle Handlungen",
                  "Sexual services | Servicios sexuales | Sexuelle Dienstleistungen",
                  "Links to adult platforms | Enlaces a plataformas para adultos | Links zu Erwachsenenplattformen",
                  "Non-consensual intimate imagery | Imágenes íntimas sin consentimiento | Nicht einvernehmliche "
                  "intime Bilder",
                  "Sexual solicitation | Solicitudes sexuales | Sexuelle Anbahnung"),
        objects=TL("sexual services~private sessions | servicios sexuales~sesiones privadas | sexuelle "
                   "Dienstleistungen~private Sessions",
                   "explicit nudity~uncensored pics | desnudos explícitos~fotos sin censura | explizite "
                   "Nacktheit~unzensierte Bilder",
                   "paid adult content~exclusive spicy content | contenido adulto de pago~contenido picante "
                   "exclusivo | kostenpflichtige Erotikinhalte~exklusive heiße Inhalte",
                   "sexual acts~18+ clips | actos sexuales~clips +18 | sexuelle Handlungen~18+-Clips",
                   "non-consensual intimate images~leaked nudes | imágenes íntimas sin consentimiento~nudes "
                   "filtrados | nicht einvernehmliche intime Bilder~geleakte Nacktbilder",
                   "sexual solicitation~sugar daddy offers | propuestas sexuales~ofertas de sugar daddy | sexuelle "
                   "Anbahnung~Sugardaddy-Angebote"),
        verbs=TL("advertise{s} {o} {q}~Advertising | anuncia{n} {o} {q}~Publicidad | {o} {q} bewerben~Werbung",
                 "link{s} to {o} {q}~Links | enlaza{n} a {o} {q}~Enlaces | {q} auf {o} verlinken~Verlinkung",
                 "show{s} {o} {q}~Depiction | muestra{n} {o} {q}~Representación | {o} {q} zeigen~Darstellung",
                 "trade{s} {o} {q}~Trading | intercambia{n} {o} {q}~Intercambio | {o} {q} tauschen~Tausch",
                 "ask{s} users for {o} {q}~Solicitation | pide{n} {o} a los usuarios {q}~Solicitud | Nutzer {q} "
                 "um {o} bitten~Anfragen"),
        examples=TL("link-in-bio funnels to paid sites | enlaces en la bio que llevan a webs de pago | "
                    "Link-in-Bio-Trichter zu Bezahlseiten",
                    "price lists for 'meetups' | listas de precios para «quedadas» | Preislisten für „Treffen“",
                    "emoji codes like 🍑💦 | códigos de emojis como 🍑💦 | Emoji-Codes wie 🍑💦",
                    "'spicy' teasers cut just before nudity | adelantos «picantes» cortados justo antes del "
                    "desnudo | „heiße“ Teaser, die kurz vor der Nacktheit enden",
                    "screenshots of leaked private photos | capturas de fotos privadas filtradas | Screenshots "
                    "geleakter privater Fotos",
                    "requests to swap pictures | peticiones de intercambiar fotos | Aufforderungen, Bilder zu "
                    "tauschen"),
        posts={"en": ["{x} available tonight 💋 rates in bio, serious only", "want {x}? link in bio, 50% off "
                      "today 🔥", "trading {x}, send first 😉", "{x} for the first 20 who dm me 👀"],
               "es": ["{x} disponibles esta noche 💋 tarifas en la bio, solo serios", "¿quieres {x}? link en la "
                      "bio, 50% de descuento hoy 🔥", "intercambio {x}, tú mandas primero 😉", "{x} para los "
                      "primeros 20 que me escriban 👀"],
               "de": ["{x} heute Abend verfügbar 💋 Preise in der Bio, nur Ernstgemeinte", "Lust auf {x}? Link in "
                      "der Bio, heute 50 % Rabatt 🔥", "tausche {x}, du schickst zuerst 😉", "{x} für die ersten "
                      "20, die mir schreiben 👀"]},
        labels=["nudity"],
        terms=[("sexual-services", "sexual services", "Offering sexual activity, companionship with sex, or "
                "explicit content in exchange for money or gifts.",
                {"en": ["escort", "sugar daddy", "GFE"], "es": ["escort", "scort", "sugar daddy"],
                 "de": ["Escort", "Sugardaddy"]}, None),
               ("explicit-nudity", "explicit nudity", "Visible genitals, or female nipples outside breastfeeding, "
                "medical or protest contexts.", {"en": ["nudes", "nsfw"], "es": ["desnudos", "nudes"],
                                                 "de": ["Nacktbilder", "Nudes"]}, "nudity")],
    ),
    "regulated_goods": dict(
        prefix="RG", slug="regulated-goods",
        title=T("Regulated Goods and Services | Bienes y servicios regulados | Regulierte Waren und "
                "Dienstleistungen"),
        summary=T("Weapons, drugs, gambling, alcohol and tobacco may not be sold or promoted in ways the law or "
                  "our rules forbid. | Las armas, las drogas, el juego, el alcohol y el tabaco no pueden venderse "
                  "ni promocionarse de formas que la ley o nuestras normas prohíben. | Waffen, Drogen, Glücksspiel, "
                  "Alkohol und Tabak dürfen nicht auf eine Weise verkauft oder beworben werden, die Gesetz oder "
                  "Regeln verbieten."),
        topics=TL("Weapons and ammunition | Armas y munición | Waffen und Munition",
                  "Drugs and medicines | Drogas y medicamentos | Drogen und Medikamente",
                  "Gambling | Juegos de azar | Glücksspiel",
                  "Alcohol, tobacco and vapes | Alcohol, tabaco y vapeadores | Alkohol, Tabak und Vapes",
                  "Commercial promotion | Promoción comercial | Kommerzielle Werbung"),
        objects=TL("firearms and ammunition~glocks and ammo | armas de fuego y munición~pistolas y balas | "
                   "Schusswaffen und Munition~Knarren und Munition",
                   "illegal drugs~party packs | drogas ilegales~packs de fiesta | illegale Drogen~Party-Packs",
                   "prescription medicines sold without a prescription~pills without a script | medicamentos "
                   "vendidos sin receta~pastillas sin receta | verschreibungspflichtige Medikamente ohne "
                   "Rezept~Pillen ohne Rezept",
                   "vapes and nicotine products~disposable vapes | vapeadores y productos de nicotina~vapers "
                   "desechables | Vapes und Nikotinprodukte~Einweg-Vapes",
                   "real-money gambling~sure-win betting tips | juegos de azar con dinero real~apuestas seguras | "
                   "Glücksspiel um echtes Geld~sichere Wett-Tipps",
                   "alcoholic drinks~cheap shots | bebidas alcohólicas~chupitos baratos | alkoholische "
                   "Getränke~billige Shots"),
        verbs=TL("sell{s} {o} {q}~Sale | vende{n} {o} {q}~Venta | {o} {q} verkaufen~Verkauf",
                 "advertise{s} {o} {q}~Advertising | anuncia{n} {o} {q}~Publicidad | {o} {q} bewerben~Werbung",
                 "broker{s} deals for {o} {q}~Facilitation | intermedia{n} en la compra de {o} {q}~Intermediación "
                 "| {o} {q} vermitteln~Vermittlung",
                 "give{s} away {o} {q}~Giveaways | regala{n} {o} {q}~Sorteos y regalos | {o} {q} verschenken "
                 "oder verlosen~Verlosungen",
                 "market{s} {o} to young audiences {q}~Youth marketing | promociona{n} {o} entre el público "
                 "joven {q}~Promoción entre jóvenes | {o} {q} bei jungem Publikum bewerben~Jugendmarketing"),
        examples=TL("menus posted in stories | menús publicados en historias | in Storys gepostete Menüs",
                    "raffles of gun parts | rifas de piezas de armas | Verlosungen von Waffenteilen",
                    "referral codes for betting apps | códigos de referido para apps de apuestas | "
                    "Empfehlungscodes für Wett-Apps",
                    "delivery to the school gate | entregas en la puerta del colegio | Lieferungen ans Schultor",
                    "price lists in comments | listas de precios en los comentarios | Preislisten in Kommentaren",
                    "coded emoji like 🔌 and ❄️ | emojis en clave como 🔌 y ❄️ | verschlüsselte Emojis wie 🔌 "
                    "und ❄️"),
        posts={"en": ["{x} in stock 🔌 same-day drop in {city}, dm for the menu", "selling {x} {price}, no "
                      "questions asked", "{x} giveaway 🎁 follow + tag 3 friends", "need {x}? hit me on tele, "
                      "discreet delivery"],
               "es": ["{x} disponibles 🔌 entrega hoy mismo en {city}, escríbeme para el menú", "vendo {x} "
                      "{price}, sin preguntas", "sorteo de {x} 🎁 sígueme y etiqueta a 3 amigos", "¿necesitas {x}? "
                      "escríbeme por tele, envío discreto"],
               "de": ["{x} auf Lager 🔌 Lieferung heute noch in {city}, schreib mir fürs Menü", "verkaufe {x} "
                      "{price}, keine Fragen", "{x} zu gewinnen 🎁 folgen + 3 Freunde markieren", "{x} gesucht? "
                      "schreib mir auf Tele, diskreter Versand"]},
        labels=["weapon", "drugs"],
        terms=[("firearm", "firearm", "A weapon that expels a projectile by the action of an explosive, including "
                "its essential parts and ammunition.",
                {"en": ["firearm", "gun", "pistol", "ammo"], "es": ["arma de fuego", "pistola", "munición"],
                 "de": ["Schusswaffe", "Pistole", "Munition"]}, "weapon"),
               ("illegal-drugs", "illegal drugs", "Controlled substances whose sale or possession is illegal.",
                {"en": ["drugs", "weed", "coke", "molly"], "es": ["drogas", "mota", "perico"],
                 "de": ["Drogen", "Gras", "Koks"]}, "drugs")],
    ),
    "dangerous_activities": dict(
        prefix="DA", slug="dangerous-activities",
        title=T("Dangerous Activities and Challenges | Actividades y retos peligrosos | Gefährliche Aktivitäten "
                "und Challenges"),
        summary=T("We remove stunts, dares and instructions that are likely to lead to serious physical harm. | "
                  "Eliminamos acrobacias, retos e instrucciones que probablemente causen daños físicos graves. | "
                  "Wir entfernen Stunts, Mutproben und Anleitungen, die wahrscheinlich zu schweren Verletzungen "
                  "führen."),
        topics=TL("Viral challenges | Retos virales | Virale Challenges",
                  "Stunts and road safety | Acrobacias y seguridad vial | Stunts und Verkehrssicherheit",
                  "Explosives and chemicals | Explosivos y químicos | Sprengstoffe und Chemikalien",
                  "Extreme dares | Retos extremos | Extreme Mutproben",
                  "Instructions that endanger | Instrucciones peligrosas | Gefährliche Anleitungen"),
        objects=TL("dangerous viral challenges~the roof-jump challenges | retos virales peligrosos~los retos de "
                   "saltar tejados | gefährliche virale Challenges~die Dachsprung-Challenges",
                   "risky stunts on roads and rails~train-surfing clips | acrobacias arriesgadas en carreteras y "
                   "vías~los vídeos de surf en trenes | riskante Stunts auf Straßen und Gleisen~die "
                   "S-Bahn-Surfing-Clips",
                   "homemade explosives and fireworks~DIY fireworks | explosivos y pirotecnia caseros~la "
                   "pirotecnia casera | selbstgebaute Sprengkörper und Böller~selbstgebaute Böller",
                   "misuse of household chemicals~the bleach mixes | mal uso de productos químicos "
                   "domésticos~las mezclas con lejía | Missbrauch von Haushaltschemikalien~die Chlor-Mischungen",
                   "reckless driving and street racing~street-race videos | conducción temeraria y carreras "
                   "ilegales~los vídeos de carreras ilegales | rücksichtsloses Fahren und illegale "
                   "Straßenrennen~die Straßenrennen-Videos",
                   "extreme eating and drinking dares~the hot-chip dares | retos extremos de comer y beber~los "
                   "retos del chip picante | extreme Ess- und Trink-Mutproben~die Hot-Chip-Mutproben"),
        verbs=TL("encourage{s} {o} {q}~Encouragement | fomenta{n} {o} {q}~Fomento | {o} {q} fördern~Anstiftung",
                 "show{s} {o} without safety context {q}~Unsafe depiction | muestra{n} {o} sin contexto de "
                 "seguridad {q}~Representación sin precauciones | {o} {q} ohne Sicherheitshinweise "
                 "zeigen~Darstellung ohne Sicherheitshinweise",
                 "give{s} instructions for {o} {q}~Instructions | da{n} instrucciones para {o} {q}~Instrucciones "
                 "| {q} Anleitungen für {o} geben~Anleitungen",
                 "dare{s} viewers to copy {o} {q}~Dares | reta{n} al público a imitar {o} {q}~Retos al público | "
                 "{o} {q} zum Nachmachen verbreiten~Aufrufe zum Nachmachen"),
        examples=TL("nominating friends to do the next dare | nominar a amigos para el siguiente reto | Freunde "
                    "für die nächste Mutprobe nominieren",
                    "filming stunts on moving vehicles | grabar acrobacias sobre vehículos en marcha | Stunts auf "
                    "fahrenden Fahrzeugen filmen",
                    "mixing cleaning products for fun | mezclar productos de limpieza por diversión | "
                    "Putzmittel zum Spaß mischen",
                    "record attempts on public roads | intentos de récord en vías públicas | Rekordversuche auf "
                    "öffentlichen Straßen",
                    "eating dares with extreme chillies | retos de comer chiles extremos | Mutproben mit extrem "
                    "scharfen Chilis",
                    "fireworks built from kits | fuegos artificiales montados con kits | aus Bausätzen gebaute "
                    "Feuerwerkskörper"),
        posts={"en": ["{x} part 3 🔥 tag someone brave enough", "who can beat my time? {x} 🏁 {city} tonight",
                      "{x} gone wrong 😂 doing it again tomorrow", "day 5 of {x}, nominating @{handle}"],
               "es": ["{x} parte 3 🔥 etiqueta a alguien con valor", "¿quién supera mi tiempo? {x} 🏁 {city} esta "
                      "noche", "{x} salió mal 😂 mañana lo repito", "día 5 de {x}, nomino a @{handle}"],
               "de": ["{x} Teil 3 🔥 markiert jemanden, der sich traut", "wer schlägt meine Zeit? {x} 🏁 heute "
                      "Nacht in {city}", "{x} gone wrong 😂 morgen nochmal", "Tag 5: {x}, ich nominiere @{handle}"]},
        labels=[],
        terms=[("dangerous-challenge", "dangerous challenge", "A dare or trend that invites people to do something "
                "likely to cause serious injury.", {"en": ["challenge", "dare"], "es": ["reto", "desafío"],
                                                    "de": ["Challenge", "Mutprobe"]}, None),
               ("street-racing", "street racing", "Racing motor vehicles on public roads.",
                {"en": ["street race", "drag race"], "es": ["piques", "carreras callejeras"],
                 "de": ["Straßenrennen", "Raser"]}, None)],
    ),
    "misinformation": dict(
        prefix="MI", slug="misinformation",
        title=T("Harmful Misinformation | Desinformación dañina | Schädliche Falschinformationen"),
        summary=T("False claims that can cause real-world harm to health, safety or elections are removed or "
                  "limited. | Las afirmaciones falsas que pueden causar daños reales a la salud, la seguridad o las "
                  "elecciones se eliminan o se limitan. | Falschbehauptungen, die Gesundheit, Sicherheit oder Wahlen "
                  "real schaden können, werden entfernt oder eingeschränkt."),
        topics=TL("Health misinformation | Desinformación sanitaria | Gesundheitliche Falschinformationen",
                  "Civic and election integrity | Integridad cívica y electoral | Integrität von Wahlen",
                  "Crisis and emergency claims | Afirmaciones sobre crisis y emergencias | Behauptungen in Krisen "
                  "und Notfällen",
                  "Conspiracy theories | Teorías conspirativas | Verschwörungstheorien",
                  "Manipulated evidence | Pruebas manipuladas | Manipulierte Belege"),
        objects=TL("false cures for serious illnesses~miracle cures | curas falsas para enfermedades graves~curas "
                   "milagrosas | falsche Heilmittel gegen schwere Krankheiten~Wundermittel",
                   "false claims about voting procedures~the real election date | afirmaciones falsas sobre cómo "
                   "votar~la fecha real de las elecciones | Falschbehauptungen über Wahlverfahren~das wahre "
                   "Wahldatum",
                   "vaccine conspiracy theories~the vaccine truth | teorías conspirativas sobre vacunas~la verdad "
                   "de las vacunas | Impf-Verschwörungstheorien~die Impf-Wahrheit",
                   "denial of well-documented tragedies~what really happened | negaciones de tragedias "
                   "documentadas~lo que pasó de verdad | Leugnungen gut dokumentierter Tragödien~was wirklich "
                   "passiert ist",
                   "fake emergency alerts~the leaked evacuation order | alertas de emergencia falsas~la orden de "
                   "evacuación filtrada | gefälschte Notfallwarnungen~der geleakte Evakuierungsbefehl",
                   "manipulated crime statistics~the real crime numbers | estadísticas de delincuencia "
                   "manipuladas~las cifras reales del crimen | manipulierte Kriminalitätsstatistiken~die echten "
                   "Kriminalitätszahlen"),
        verbs=TL("spread{s} {o} {q}~Spreading | difunde{n} {o} {q}~Difusión | {o} {q} verbreiten~Verbreitung",
                 "present{s} {o} as fact {q}~Presentation as fact | presenta{n} {o} como hechos "
                 "{q}~Presentación como hechos | {o} {q} als Tatsache darstellen~Darstellung als Tatsache",
                 "monetise{s} {o} {q}~Monetisation | monetiza{n} {o} {q}~Monetización | {o} {q} "
                 "monetarisieren~Monetarisierung",
                 "boost{s} {o} with fake accounts {q}~Artificial amplification | impulsa{n} {o} con cuentas "
                 "falsas {q}~Amplificación artificial | {o} {q} mit Fake-Accounts pushen~Künstliche Verstärkung"),
        examples=TL("'do your own research' threads | hilos de «investiga por tu cuenta» | „Recherchiert "
                    "selbst“-Threads",
                    "fake screenshots of news sites | capturas falsas de webs de noticias | gefälschte Screenshots "
                    "von Nachrichtenseiten",
                    "doctored charts | gráficos manipulados | manipulierte Diagramme",
                    "wrong polling-station hours | horarios falsos de los colegios electorales | falsche "
                    "Öffnungszeiten von Wahllokalen",
                    "testimonials for fake cures | testimonios sobre curas falsas | Erfahrungsberichte zu falschen "
                    "Heilmitteln",
                    "AI voice clips of officials | audios de IA de autoridades | KI-Sprachclips von Amtsträgern"),
        posts={"en": ["{x}: they don't want you to know this 👀 share before it's deleted", "{x} — my cousin's "
                      "doctor confirmed it, do your own research", "BREAKING: {x}, mainstream media is silent",
                      "{x}. Wake up people, link in bio"],
               "es": ["{x}: no quieren que sepas esto 👀 comparte antes de que lo borren", "{x}: el médico de mi "
                      "primo lo confirmó, investiga por tu cuenta", "ÚLTIMA HORA: {x}, los medios callan", "{x}. "
                      "Despierten, link en la bio"],
               "de": ["{x}: das sollt ihr nicht wissen 👀 teilen, bevor es gelöscht wird", "{x} – der Arzt meines "
                      "Cousins hat es bestätigt, recherchiert selbst", "EILMELDUNG: {x}, die Mainstream-Medien "
                      "schweigen", "{x}. Wacht auf, Link in der Bio"]},
        labels=[],
        terms=[("health-misinformation", "health misinformation", "False or misleading claims about health that "
                "can lead people to harm themselves.", {"en": ["miracle cure", "detox cure"],
                                                       "es": ["cura milagrosa"], "de": ["Wundermittel"]}, None),
               ("election-misinformation", "election misinformation", "False claims about when, where or how to "
                "vote, or about who may vote.", {"en": ["rigged election", "stolen election"],
                                                 "es": ["fraude electoral", "elecciones amañadas"],
                                                 "de": ["Wahlbetrug", "gefälschte Wahl"]}, None)],
    ),
    "fraud_scams_spam": dict(
        prefix="FSS", slug="fraud-scams-spam",
        title=T("Fraud, Scams and Spam | Fraude, estafas y spam | Betrug, Scams und Spam"),
        summary=T("We remove content that tricks people out of money or data and activity that fakes engagement. | "
                  "Eliminamos contenido que engaña a las personas para quitarles dinero o datos y la actividad que "
                  "falsea la interacción. | Wir entfernen Inhalte, die Menschen um Geld oder Daten betrügen, und "
                  "Aktivitäten, die Interaktion vortäuschen."),
        topics=TL("Financial scams | Estafas financieras | Finanzbetrug",
                  "Phishing and account takeover | Phishing y robo de cuentas | Phishing und Kontoübernahme",
                  "Fake engagement | Interacción falsa | Gefälschte Interaktion",
                  "Impersonation | Suplantación de identidad | Identitätsbetrug",
                  "Spam | Spam | Spam"),
        objects=TL("investment scams~crypto signals | estafas de inversión~señales cripto | Anlagebetrug~die "
                   "Krypto-Signale",
                   "phishing links~free gift card links | enlaces de phishing~enlaces de tarjetas regalo gratis | "
                   "Phishing-Links~Gratis-Gutschein-Links",
                   "fake giveaways~iPhone giveaways | sorteos falsos~sorteos de iPhone | gefälschte "
                   "Gewinnspiele~iPhone-Gewinnspiele",
                   "purchased followers and likes~cheap followers | seguidores y «me gusta» comprados~seguidores "
                   "baratos | gekaufte Follower und Likes~billige Follower",
                   "impersonation of brands and officials~the official support team | suplantaciones de marcas y "
                   "autoridades~el equipo de soporte oficial | Identitätsbetrug mit Marken und Behörden~der "
                   "offizielle Support",
                   "romance scams~lonely-hearts chats | estafas románticas~chats de corazones solitarios | "
                   "Romance-Scams~Lonely-Hearts-Chats"),
        verbs=TL("promote{s} {o} {q}~Promotion | promueve{n} {o} {q}~Promoción | {o} {q} bewerben~Bewerbung",
                 "run{s} {o} {q}~Operation | opera{n} {o} {q}~Operación | {o} {q} betreiben~Betrieb",
                 "post{s} {o} in bulk {q}~Spam | publica{n} {o} de forma masiva {q}~Spam | {o} {q} massenhaft "
                 "posten~Spam",
                 "sell{s} tools for {o} {q}~Scam tools | vende{n} herramientas para {o} {q}~Herramientas de "
                 "estafa | Werkzeuge für {o} {q} verkaufen~Betrugswerkzeuge"),
        examples=TL("guaranteed-return trading groups | grupos de trading con rentabilidad garantizada | "
                    "Trading-Gruppen mit garantierter Rendite",
                    "QR codes to fake login pages | códigos QR que llevan a páginas de inicio de sesión falsas | "
                    "QR-Codes zu gefälschten Login-Seiten",
                    "'you won' messages asking for a fee | mensajes de «has ganado» que piden una tasa | „Du hast "
                    "gewonnen“-Nachrichten mit Gebühr",
                    "bot-made comment floods | avalanchas de comentarios de bots | Kommentarfluten von Bots",
                    "fake customer-support accounts | cuentas falsas de atención al cliente | gefälschte "
                    "Kundenservice-Accounts",
                    "advance-fee requests in romance chats | peticiones de pago por adelantado en chats "
                    "románticos | Vorschussforderungen in Liebes-Chats"),
        posts={"en": ["{x} 💸 10x in one week, guaranteed, join the VIP group", "🎉 {x} for the first 500 "
                      "followers, claim at the link", "{x} here, your account will be closed unless you verify "
                      "today", "tired of being broke? {x} changed my life, dm 'INFO'"],
               "es": ["{x} 💸 x10 en una semana, garantizado, únete al grupo VIP", "🎉 {x} para los primeros 500 "
                      "seguidores, reclama en el enlace", "{x} aquí: tu cuenta se cerrará si no la verificas hoy",
                      "¿cansado de no tener dinero? gracias a {x} cambié mi vida, escribe «INFO»"],
               "de": ["{x} 💸 10x in einer Woche, garantiert, tritt der VIP-Gruppe bei", "🎉 {x} für die ersten 500 "
                      "Follower, hol es dir über den Link", "{x} hier: dein Konto wird geschlossen, wenn du es "
                      "nicht heute verifizierst", "keine Lust mehr, pleite zu sein? {x} – mein Leben hat sich "
                      "verändert, schreib „INFO“"]},
        labels=[],
        terms=[("phishing", "phishing", "Tricking people into giving away passwords, codes or payment details.",
                {"en": ["phishing", "verify your account"], "es": ["phishing", "verifica tu cuenta"],
                 "de": ["Phishing", "Konto verifizieren"]}, None),
               ("investment-scam", "investment scam", "A promise of guaranteed or unrealistic returns used to take "
                "people's money.", {"en": ["crypto signals", "guaranteed profit"],
                                    "es": ["señales cripto", "ganancia garantizada"],
                                    "de": ["Krypto-Signale", "garantierter Gewinn"]}, None)],
    ),
    "privacy_personal_data": dict(
        prefix="PPD", slug="privacy-personal-data",
        title=T("Privacy and Personal Data | Privacidad y datos personales | Privatsphäre und personenbezogene "
                "Daten"),
        summary=T("People's private information and intimate moments are theirs to share, not anyone else's. | La "
                  "información privada y los momentos íntimos de cada persona le pertenecen solo a ella. | Private "
                  "Informationen und intime Momente gehören den Menschen selbst, niemandem sonst."),
        topics=TL("Doxxing | Doxxing | Doxxing",
                  "Hacked and leaked data | Datos hackeados y filtrados | Gehackte und geleakte Daten",
                  "Covert recording | Grabaciones encubiertas | Heimliche Aufnahmen",
                  "Sensitive records | Datos sensibles | Sensible Daten",
                  "Threats to expose | Amenazas de revelar | Drohungen mit Bloßstellung"),
        objects=TL("home addresses~someone's address | direcciones particulares~la dirección de alguien | "
                   "Wohnadressen~die Adresse von jemandem",
                   "private phone numbers~her number | números de teléfono privados~su número | private "
                   "Telefonnummern~ihre Nummer",
                   "leaked identity documents~scans of his passport | documentos de identidad filtrados~escaneos "
                   "de su pasaporte | geleakte Ausweisdokumente~Scans seines Passes",
                   "hidden-camera recordings~secret recordings | grabaciones con cámara oculta~grabaciones "
                   "secretas | Aufnahmen mit versteckter Kamera~heimliche Aufnahmen",
                   "hacked account credentials~account logins | credenciales de cuentas hackeadas~accesos a "
                   "cuentas | gehackte Zugangsdaten~Account-Logins",
                   "medical and financial records~his medical files | historiales médicos y financieros~sus "
                   "informes médicos | Gesundheits- und Finanzdaten~seine Krankenakte"),
        verbs=TL("post{s} {o} {q}~Publication | publica{n} {o} {q}~Publicación | {o} {q} "
                 "veröffentlichen~Veröffentlichung",
                 "sell{s} {o} {q}~Sale | vende{n} {o} {q}~Venta | {o} {q} verkaufen~Verkauf",
                 "threaten{s} to reveal {o} {q}~Threats to expose | amenaza{n} con revelar {o} {q}~Amenaza de "
                 "revelación | {q} drohen, {o} offenzulegen~Drohung mit Offenlegung",
                 "ask{s} the audience to find {o} {q}~Crowdsourced doxxing | pide{n} al público que busque {o} "
                 "{q}~Doxxing colectivo | das Publikum {q} auffordern, {o} herauszufinden~Doxxing durch das "
                 "Publikum"),
        examples=TL("screenshots of a delivery label | capturas de una etiqueta de envío | Screenshots eines "
                    "Versandetiketts",
                    "'find this person' posts with a photo | publicaciones de «encuentren a esta persona» con "
                    "foto | „Findet diese Person“-Posts mit Foto",
                    "dumps of leaked passwords | volcados de contraseñas filtradas | Dumps geleakter Passwörter",
                    "videos filmed through a window | vídeos grabados a través de una ventana | durch ein Fenster "
                    "gefilmte Videos",
                    "lists of employees' phone numbers | listas de teléfonos de empleados | Listen mit "
                    "Telefonnummern von Beschäftigten",
                    "threats to publish private chats | amenazas de publicar chats privados | Drohungen, private "
                    "Chats zu veröffentlichen"),
        posts={"en": ["found {x} 👀 pinned in the comments, you know what to do", "{x} for sale, fresh leak, dm me",
                      "everyone help me find {x}, this guy cut me off in traffic", "if she doesn't answer I'm "
                      "posting {x} tomorrow"],
               "es": ["encontré {x} 👀 fijado en los comentarios, ya saben qué hacer", "{x} a la venta, filtración "
                      "fresca, escríbeme", "ayúdenme a encontrar {x}, este tipo se me cruzó en el tráfico", "si no "
                      "contesta, mañana publico {x}"],
               "de": ["hab {x} gefunden 👀 angepinnt in den Kommentaren, ihr wisst Bescheid", "{x} zu verkaufen, "
                      "frischer Leak, schreib mir", "helft mir, {x} zu finden, der Typ hat mich im Verkehr "
                      "geschnitten", "wenn sie nicht antwortet, poste ich morgen {x}"]},
        labels=[],
        terms=[("doxxing", "doxxing", "Publishing someone's private identifying information without consent, "
                "usually to expose them to harassment.", {"en": ["doxxing", "dox", "doxx"],
                                                          "es": ["doxeo", "doxing"], "de": ["Doxxing", "Doxing"]},
                None),
               ("personal-data", "personal data", "Information that identifies a person or can be linked to them.",
                {"en": ["home address", "phone number", "ID card"], "es": ["dirección", "número de teléfono", "DNI"],
                 "de": ["Adresse", "Telefonnummer", "Personalausweis"]}, None)],
    ),
    "intellectual_property": dict(
        prefix="IP", slug="intellectual-property",
        title=T("Intellectual Property | Propiedad intelectual | Geistiges Eigentum"),
        summary=T("Creators and rights holders decide how their work is used; piracy and counterfeits are "
                  "removed. | Los creadores y titulares de derechos deciden cómo se usa su obra; la piratería y "
                  "las falsificaciones se eliminan. | Kreative und Rechteinhaber entscheiden über die Nutzung ihrer "
                  "Werke; Piraterie und Fälschungen werden entfernt."),
        topics=TL("Copyright infringement | Infracción de derechos de autor | Urheberrechtsverletzungen",
                  "Counterfeit goods | Productos falsificados | Gefälschte Waren",
                  "Unoriginal content | Contenido no original | Nicht originale Inhalte",
                  "Live-event piracy | Piratería de eventos en directo | Piraterie bei Live-Events",
                  "Software piracy | Piratería de software | Softwarepiraterie"),
        objects=TL("pirated films and series~full movies | películas y series pirateadas~películas completas | "
                   "raubkopierte Filme und Serien~ganze Filme",
                   "counterfeit designer goods~1:1 replica bags | productos de diseño falsificados~bolsos réplica "
                   "1:1 | gefälschte Designerware~1:1-Replika-Taschen",
                   "unlicensed music~full albums | música sin licencia~álbumes completos | nicht lizenzierte "
                   "Musik~komplette Alben",
                   "illegal restreams of live sports~free match streams | retransmisiones ilegales de "
                   "deportes~partidos gratis en directo | illegale Restreams von Live-Sport~Gratis-Spiel-Streams",
                   "reuploads of other creators' videos~reuploaded viral clips | resubidas de vídeos de otros "
                   "creadores~clips virales resubidos | Reuploads fremder Videos~reuploadete virale Clips",
                   "cracked software~cracked apps | software crackeado~apps crackeadas | gecrackte "
                   "Software~gecrackte Apps"),
        verbs=TL("upload{s} {o} {q}~Uploads | sube{n} {o} {q}~Subidas | {o} {q} hochladen~Uploads",
                 "sell{s} {o} {q}~Sale | vende{n} {o} {q}~Venta | {o} {q} verkaufen~Verkauf",
                 "link{s} to {o} {q}~Links | enlaza{n} a {o} {q}~Enlaces | {q} auf {o} verlinken~Verlinkung",
                 "monetise{s} {o} {q}~Monetisation | monetiza{n} {o} {q}~Monetización | {o} {q} "
                 "monetarisieren~Monetarisierung"),
        examples=TL("full episodes split into parts | episodios completos divididos en partes | in Teile "
                    "zerlegte ganze Folgen",
                    "'replica' listings with brand logos | anuncios de «réplicas» con logotipos de marca | "
                    "„Replika“-Angebote mit Markenlogos",
                    "sped-up songs to dodge detection | canciones aceleradas para evitar la detección | "
                    "beschleunigte Songs gegen die Erkennung",
                    "stream links in the comments | enlaces a streams en los comentarios | Stream-Links in den "
                    "Kommentaren",
                    "mirrored videos with a new watermark | vídeos en espejo con una marca de agua nueva | "
                    "gespiegelte Videos mit neuem Wasserzeichen",
                    "licence-key generators | generadores de claves de licencia | Lizenzschlüssel-Generatoren"),
        posts={"en": ["{x} part 1/12 🍿 follow for the rest", "{x} {price}, same quality as the original, ships "
                      "worldwide", "{x} tonight ⚽ link in bio, no ads", "{x} here free, why pay? link in comments"],
               "es": ["{x} parte 1/12 🍿 sígueme para el resto", "{x} {price}, misma calidad que el original, "
                      "envíos a todo el mundo", "{x} esta noche ⚽ link en la bio, sin anuncios", "{x} gratis aquí, "
                      "¿para qué pagar? enlace en los comentarios"],
               "de": ["{x} Teil 1/12 🍿 folgt für den Rest", "{x} {price}, gleiche Qualität wie das Original, "
                      "weltweiter Versand", "{x} heute Abend ⚽ Link in der Bio, ohne Werbung", "{x} hier gratis, "
                      "warum zahlen? Link in den Kommentaren"]},
        labels=[],
        terms=[("counterfeit", "counterfeit", "A product that copies a brand's trademark without permission.",
                {"en": ["replica", "fake", "1:1"], "es": ["réplica", "imitación"], "de": ["Replika", "Fake"]}, None),
               ("piracy", "piracy", "Copying or streaming protected works without the rights holder's permission.",
                {"en": ["pirated", "full movie", "free stream"], "es": ["pirata", "película completa"],
                 "de": ["Raubkopie", "ganzer Film"]}, None)],
    ),
    "synthetic_media": dict(
        prefix="SM", slug="synthetic-media",
        title=T("Synthetic and Manipulated Media | Medios sintéticos y manipulados | Synthetische und manipulierte "
                "Medien"),
        summary=T("Realistic AI-generated or edited media must be disclosed, and deceptive deepfakes are removed. | "
                  "Los contenidos realistas generados o editados con IA deben indicarse, y los deepfakes engañosos "
                  "se eliminan. | Realistische KI-generierte oder bearbeitete Medien müssen gekennzeichnet werden; "
                  "täuschende Deepfakes werden entfernt."),
        topics=TL("Disclosure of AI-generated content | Indicación del contenido generado por IA | Kennzeichnung "
                  "KI-generierter Inhalte",
                  "Deepfakes of real people | Deepfakes de personas reales | Deepfakes realer Personen",
                  "Manipulated news and events | Noticias y sucesos manipulados | Manipulierte Nachrichten und "
                  "Ereignisse",
                  "Cloned voices | Voces clonadas | Geklonte Stimmen",
                  "Synthetic endorsements | Recomendaciones sintéticas | Synthetische Empfehlungen"),
        objects=TL("realistic AI-generated videos~AI clips | vídeos realistas generados por IA~clips de IA | "
                   "realistische KI-generierte Videos~KI-Clips",
                   "deepfakes of real people~deepfakes of the president | deepfakes de personas reales~deepfakes "
                   "del presidente | Deepfakes realer Personen~Deepfakes vom Präsidenten",
                   "cloned voices~voice clones | voces clonadas~clones de voz | geklonte Stimmen~Stimmklone",
                   "AI-edited news footage~edited news clips | imágenes de noticias editadas con IA~clips de "
                   "noticias editados | mit KI bearbeitetes Nachrichtenmaterial~bearbeitete Nachrichtenclips",
                   "synthetic intimate images~AI nudes | imágenes íntimas sintéticas~desnudos con IA | "
                   "synthetische intime Bilder~KI-Nacktbilder",
                   "AI-generated product endorsements~AI celebrity ads | recomendaciones de productos generadas "
                   "por IA~anuncios de famosos con IA | KI-generierte Produktempfehlungen~KI-Promi-Werbung"),
        verbs=TL("post{s} {o} without disclosure {q}~Undisclosed AI content | publica{n} {o} sin indicarlo "
                 "{q}~Contenido de IA sin indicar | {o} {q} ohne Kennzeichnung posten~Fehlende Kennzeichnung",
                 "create{s} {o} {q}~Creation | crea{n} {o} {q}~Creación | {o} {q} erstellen~Erstellung",
                 "use{s} {o} to mislead viewers {q}~Deception | usa{n} {o} para engañar al público {q}~Engaño | "
                 "{o} {q} zur Täuschung einsetzen~Täuschung",
                 "share{s} {o} {q}~Sharing | comparte{n} {o} {q}~Difusión | {o} {q} teilen~Weitergabe"),
        examples=TL("a politician 'saying' words they never said | un político «diciendo» palabras que nunca dijo "
                    "| ein Politiker, der Worte „sagt“, die er nie gesagt hat",
                    "a cloned voice asking relatives for money | una voz clonada que pide dinero a familiares | "
                    "eine geklonte Stimme, die Verwandte um Geld bittet",
                    "fake disaster photos | fotos falsas de catástrofes | gefälschte Katastrophenfotos",
                    "AI product reviews by 'doctors' | reseñas de productos con IA de «médicos» | KI-Produkttests "
                    "von „Ärzten“",
                    "face swaps onto private individuals | intercambios de cara sobre particulares | Face-Swaps "
                    "auf Privatpersonen",
                    "unlabelled photorealistic scenes | escenas fotorrealistas sin etiquetar | ungekennzeichnete "
                    "fotorealistische Szenen"),
        posts={"en": ["{x} 😳 can't believe he actually said this", "made {x} in 5 minutes, nobody will notice lol",
                      "{x}: watch before it gets taken down", "{x} — 100% real, my friend filmed it"],
               "es": ["{x} 😳 no puedo creer que dijera esto", "hice {x} en 5 minutos, nadie se va a dar cuenta "
                      "jaja", "{x}: míralo antes de que lo borren", "{x}: 100 % real, lo grabó mi amigo"],
               "de": ["{x} 😳 kaum zu glauben, dass er das gesagt hat", "{x} in 5 Minuten gemacht, merkt eh keiner "
                      "lol", "{x}: anschauen, bevor es gelöscht wird", "{x} – 100 % echt, mein Kumpel hat es "
                      "gefilmt"]},
        labels=["ai_generated"],
        terms=[("deepfake", "deepfake", "Synthetic video, image or audio that shows a real person doing or saying "
                "something they did not.", {"en": ["deepfake", "face swap"], "es": ["deepfake", "ultrafalso"],
                                            "de": ["Deepfake", "Face-Swap"]}, None),
               ("ai-label", "AI-generated label", "The platform's disclosure that content is AI-generated or "
                "significantly edited.", {"en": ["AI label", "AI-generated"], "es": ["etiqueta de IA", "generado por IA"],
                                          "de": ["KI-Label", "KI-generiert"]}, None)],
    ),
}

# Frames: aligned across languages by index (a translation renders the same choices in its language).
FRAMES = {
    "prohibited": {
        "en": ["We remove content that {V1}.", "Posts, videos and comments that {V2} are not allowed.",
               "Content that {V1} is removed, and the account receives a strike.",
               "We do not allow uploads or live streams that {V2}."],
        "es": ["Eliminamos el contenido que {V1}.", "No se permiten las publicaciones, vídeos y comentarios que {V2}.",
               "Se elimina el contenido que {V1} y la cuenta recibe una falta.",
               "No permitimos las subidas ni los directos que {V2}."],
        "de": ["Wir entfernen Inhalte, die {V2}.", "Beiträge, Videos und Kommentare, die {V2}, sind nicht erlaubt.",
               "Inhalte, die {V2}, werden entfernt, und das Konto erhält eine Verwarnung.",
               "Wir erlauben keine Uploads oder Livestreams, die {V2}."],
    },
    "restricted": {
        "en": ["Content that {V1} is not recommended and may be age-restricted.",
               "We limit the reach of videos that {V2} and show a warning screen first.",
               "Uploads that {V2} stay up but are kept out of the recommended feed."],
        "es": ["El contenido que {V1} no se recomienda y puede tener restricción de edad.",
               "Limitamos el alcance de los vídeos que {V2} y mostramos antes una pantalla de advertencia.",
               "Las subidas que {V2} se mantienen, pero quedan fuera del feed recomendado."],
        "de": ["Inhalte, die {V2}, werden nicht empfohlen und können eine Altersbeschränkung erhalten.",
               "Wir schränken die Reichweite von Videos ein, die {V2}, und zeigen vorher einen Warnhinweis.",
               "Uploads, die {V2}, bleiben online, erscheinen aber nicht im empfohlenen Feed."],
    },
    "requirement": {
        "en": ["Creators who {V2} must disclose it with the platform's label.",
               "Content that {V1} must carry a clear disclosure in its first seconds or its caption."],
        "es": ["Los creadores que {V2} deben indicarlo con la etiqueta de la plataforma.",
               "El contenido que {V1} debe llevar una indicación clara en sus primeros segundos o en la descripción."],
        "de": ["Creator, die {V2}, müssen dies mit dem Label der Plattform offenlegen.",
               "Inhalte, die {V2}, müssen in den ersten Sekunden oder in der Beschreibung klar gekennzeichnet sein."],
    },
    "override": {
        "en": ["In {in_c}, we also remove content that {V1} (legal basis: {law}).",
               "Stricter rule for {for_c}: content that {V1} is removed and reported where the law requires it "
               "(legal basis: {law}).",
               "For viewers in {in_c}, content that {V1} is withheld entirely (legal basis: {law})."],
        "es": ["En {in_c}, también eliminamos el contenido que {V1} (base jurídica: {law}).",
               "Norma más estricta para {for_c}: el contenido que {V1} se elimina y se denuncia cuando la ley lo "
               "exige (base jurídica: {law}).",
               "Para el público de {in_c}, el contenido que {V1} se bloquea por completo (base jurídica: {law})."],
        "de": ["{In_c} entfernen wir außerdem Inhalte, die {V2} (Rechtsgrundlage: {law}).",
               "Strengere Regel für {for_c}: Inhalte, die {V2}, werden entfernt und gemeldet, wo das Gesetz es "
               "verlangt (Rechtsgrundlage: {law}).",
               "Für Zuschauer {in_c} werden Inhalte, die {V2}, vollständig gesperrt (Rechtsgrundlage: {law})."],
    },
    "allowed": {
        "en": ["We allow {subj} that {av} {aq}.", "{Subj} that {av} remain allowed {aq}.",
               "This policy does not cover {subj} that {av} {aq}."],
        "es": ["Permitimos {subj} que {av} {aq}.", "{Subj} que {av} siguen estando permitidos {aq}.",
               "Esta política no abarca {subj} que {av} {aq}."],
        "de": ["Wir erlauben {subj}, die {av}, {aq}.", "{Subj}, die {av}, bleiben erlaubt, {aq}.",
               "Diese Richtlinie erfasst keine {subj}, die {av}, {aq}."],
    },
}
QUALIFIERS = [{"en": "", "es": "", "de": ""}] + TL(
    "for money or other payment | a cambio de dinero u otro pago | gegen Geld oder andere Gegenleistungen",
    "through links to other platforms | mediante enlaces a otras plataformas | über Links zu anderen Plattformen",
    "using coded emoji, misspellings or slang | con emojis en clave, faltas intencionadas o jerga | mit "
    "verschlüsselten Emojis, absichtlichen Tippfehlern oder Slang",
    "in front of an audience that includes minors | ante un público que incluye a menores | vor einem Publikum "
    "mit Minderjährigen",
    "in a way that invites imitation | de una forma que invita a imitarlo | auf eine Weise, die zur Nachahmung "
    "einlädt,",
    "repeatedly or in a coordinated way | de forma repetida o coordinada | wiederholt oder koordiniert",
    "while posing as a trusted brand or person | haciéndose pasar por una marca o persona de confianza | unter dem "
    "Anschein einer vertrauenswürdigen Marke oder Person",
    "with an invitation to continue in private | con una invitación a seguir en privado | mit der Einladung, "
    "privat weiterzuschreiben,",
    "as part of paid or sponsored content | como parte de contenido pagado o patrocinado | als Teil bezahlter oder "
    "gesponserter Inhalte",
    "under the cover of humour or irony | bajo la apariencia de humor o ironía | unter dem Deckmantel von Humor "
    "oder Ironie",
    "in exchange for followers, likes or gifts | a cambio de seguidores, «me gusta» o regalos | im Tausch gegen "
    "Follower, Likes oder Geschenke",
    "with prices, menus or order instructions | con precios, menús o instrucciones de pedido | mit Preisen, Menüs "
    "oder Bestellanweisungen",
    "with real names, faces or locations | con nombres reales, caras o ubicaciones | mit echten Namen, Gesichtern "
    "oder Orten",
)
CONTEXTS = TL(
    "in live streams and their chat | en directos y su chat | in Livestreams und deren Chat",
    "in comments and replies | en comentarios y respuestas | in Kommentaren und Antworten",
    "in profile names, bios and avatars | en nombres de perfil, biografías y avatares | in Profilnamen, Bios und "
    "Avataren",
    "in captions, on-screen text and stickers | en descripciones, texto en pantalla y stickers | in "
    "Bildunterschriften, eingeblendetem Text und Stickern",
    "in marketplace listings and shop pages | en anuncios del marketplace y páginas de tienda | in "
    "Marktplatz-Angeboten und Shop-Seiten",
    "in ads and branded content | en anuncios y contenido de marca | in Werbung und Markeninhalten",
    "in audio, song lyrics and voice-overs | en audios, letras de canciones y voces en off | in Audio, Songtexten "
    "und Voice-overs",
    "in hashtags, search terms and effects | en hashtags, búsquedas y efectos | in Hashtags, Suchbegriffen und "
    "Effekten",
    "in stories that disappear after 24 hours | en historias que desaparecen a las 24 horas | in Storys, die nach "
    "24 Stunden verschwinden,",
    "in group chats and reported direct messages | en chats grupales y mensajes directos denunciados | in "
    "Gruppenchats und gemeldeten Direktnachrichten",
    "in thumbnails and cover images | en miniaturas e imágenes de portada | in Vorschaubildern und Titelbildern",
    "in duets, stitches and remixes | en dúos, stitches y remixes | in Duetten, Stitches und Remixen",
)
CONDITIONS = TL(
    "whether or not money changes hands | haya o no dinero de por medio | unabhängig davon, ob Geld fließt",
    "even when it is framed as a joke | aunque se presente como una broma | auch wenn es als Scherz dargestellt "
    "wird",
    "also when the post only links to another site | también cuando la publicación solo enlaza a otro sitio | "
    "auch wenn der Beitrag nur auf eine andere Seite verlinkt",
    "regardless of the account's size or verification | sin importar el tamaño o la verificación de la cuenta | "
    "unabhängig von Größe oder Verifizierung des Kontos",
    "when the viewer is likely to be under 18 | cuando es probable que el espectador sea menor de 18 años | wenn "
    "die Zuschauer wahrscheinlich unter 18 sind",
    "even if the content is labelled as fiction | aunque el contenido esté etiquetado como ficción | auch wenn der "
    "Inhalt als Fiktion gekennzeichnet ist",
    "when the intent is clear from the caption or comments | cuando la intención queda clara por la descripción o "
    "los comentarios | wenn die Absicht aus Beschreibung oder Kommentaren hervorgeht",
    "including re-uploads and screenshots of removed posts | incluidas resubidas y capturas de publicaciones "
    "eliminadas | einschließlich erneuter Uploads und Screenshots entfernter Beiträge",
    "once a trusted flagger or authority has reported it | una vez que un alertador fiable o una autoridad lo ha "
    "denunciado | sobald ein vertrauenswürdiger Hinweisgeber oder eine Behörde es gemeldet hat",
    "when several posts together show the pattern | cuando varias publicaciones juntas muestran el patrón | wenn "
    "mehrere Beiträge zusammen das Muster zeigen",
    "also in languages and dialects other than the post's main one | también en idiomas y dialectos distintos del "
    "principal | auch in anderen Sprachen und Dialekten als der Hauptsprache des Beitrags",
    "even when faces or names are blurred | aunque se difuminen caras o nombres | auch wenn Gesichter oder Namen "
    "unkenntlich gemacht sind",
)
CONTEXT_FRAMES = TL("This applies {c}, {d}. | Se aplica {c}, {d}. | Das gilt {c}, {d}.",
                    "The rule covers content {c}, {d}. | La norma cubre el contenido {c}, {d}. | Die Regel erfasst "
                    "Inhalte {c}, {d}.",
                    "We apply it {c} as well, {d}. | También la aplicamos {c}, {d}. | Wir wenden sie auch {c} an, "
                    "{d}.")
EXAMPLE_FRAMES = TL("This includes {a}, {b} and {c}. | Esto incluye {a}, {b} y {c}. | Dazu gehören {a}, {b} und {c}.",
                    "Examples are {a}, {b} or {c}. | Son ejemplos {a}, {b} o {c}. | Beispiele sind {a}, {b} oder {c}.",
                    "Typical cases: {a}; {b}; {c}. | Casos típicos: {a}; {b}; {c}. | Typische Fälle: {a}; {b}; {c}.",
                    "It covers, for instance, {a}, {b} and {c}. | Abarca, por ejemplo, {a}, {b} y {c}. | Erfasst "
                    "sind etwa {a}, {b} und {c}.")
CONSEQUENCES = TL(
    "Repeat violations lead to a strike and, after three strikes, to suspension. | Las infracciones repetidas "
    "suponen una falta y, tras tres faltas, la suspensión. | Wiederholte Verstöße führen zu einer Verwarnung und "
    "nach drei Verwarnungen zur Sperrung.",
    "Accounts that exist mainly for this purpose are suspended. | Las cuentas que existen principalmente con este "
    "fin se suspenden. | Konten, die hauptsächlich diesem Zweck dienen, werden gesperrt.",
    "Creators lose access to monetisation while the violation stands. | Los creadores pierden la monetización "
    "mientras la infracción siga vigente. | Creator verlieren die Monetarisierung, solange der Verstoß besteht.",
    "Live streams that break this rule are ended at once. | Los directos que incumplen esta norma se cortan de "
    "inmediato. | Livestreams, die gegen diese Regel verstoßen, werden sofort beendet.",
    "Credible cases are escalated to the specialist team. | Los casos creíbles se escalan al equipo especializado. "
    "| Glaubhafte Fälle werden an das Spezialteam eskaliert.",
    "Hashes of removed media are kept to block re-uploads. | Se guardan los hashes del material eliminado para "
    "bloquear resubidas. | Hashes entfernter Medien werden gespeichert, um erneute Uploads zu blockieren.",
    "The uploader is notified and may appeal. | Se avisa a quien lo subió, que puede apelar. | Die hochladende "
    "Person wird benachrichtigt und kann Einspruch einlegen.",
    "Search results for related terms show safety resources instead. | Las búsquedas de términos relacionados "
    "muestran recursos de seguridad. | Suchen nach verwandten Begriffen zeigen stattdessen Hilfsangebote.",
)
REF_FRAMES = TL("See also {ref} for {topic}. | Véase también {ref} sobre {topic}. | Siehe auch {ref} zum Thema "
                "„{topic}“.",
                "Where {ref} applies too, the stricter action is taken. | Si también se aplica {ref}, se toma la "
                "medida más estricta. | Greift auch {ref}, gilt die strengere Maßnahme.")
EXCEPTION_FRAMES = TL("It is an exception to {ids}. | Es una excepción a {ids}. | Sie ist eine Ausnahme zu {ids}.",
                      "Content covered here is not removed under {ids}. | El contenido cubierto aquí no se elimina "
                      "según {ids}. | Hier erfasste Inhalte werden nicht nach {ids} entfernt.")
ALLOWED_SUBJECTS = TL(
    "news reports and documentaries | reportajes y documentales | Nachrichtenbeiträge und Dokumentationen",
    "lessons, lectures and academic research | clases, conferencias e investigaciones académicas | Unterricht, "
    "Vorträge und wissenschaftliche Arbeiten",
    "counter-speech and awareness campaigns | contradiscursos y campañas de sensibilización | Gegenrede und "
    "Aufklärungskampagnen",
    "personal recovery and exit stories | relatos personales de recuperación y salida | persönliche Berichte über "
    "Ausstieg und Genesung",
    "satire, fiction and art | sátiras, ficciones y obras de arte | Satire, Fiktion und Kunst",
    "harm-reduction and safety guides | guías de reducción de daños y seguridad | Leitfäden zu Schadensminderung "
    "und Sicherheit",
    "official warnings by authorities | avisos oficiales de las autoridades | offizielle Warnungen von Behörden",
)
ALLOWED_VERBS = TL("discuss {o} | tratan {o} | {o} behandeln",
                   "raise awareness about {o} | informan sobre {o} | über {o} aufklären",
                   "put {o} in critical context | sitúan {o} en un contexto crítico | {o} kritisch einordnen",
                   "document {o} | documentan {o} | {o} dokumentieren")
ALLOWED_QUALS = TL("without praising or promoting them | sin elogiarlos ni promoverlos | ohne sie zu loben oder zu "
                   "bewerben",
                   "when the critical or informative purpose is clear | cuando el propósito crítico o informativo "
                   "es claro | wenn der kritische oder informative Zweck klar ist",
                   "as long as no way to buy, join or copy is given | siempre que no se indique cómo comprar, unirse "
                   "o imitarlo | solange kein Weg zum Kauf, Beitritt oder Nachmachen genannt wird",
                   "with context in the caption or narration | con contexto en la descripción o la narración | mit "
                   "Kontext in Beschreibung oder Erzählung")
ALLOWED_TITLES = TL("News and documentary | Noticias y documentales | Nachrichten und Dokumentation",
                    "Education and research | Educación e investigación | Bildung und Forschung",
                    "Counter-speech and awareness | Contradiscurso y sensibilización | Gegenrede und Aufklärung",
                    "Recovery and exit stories | Relatos de recuperación y salida | Ausstiegs- und Genesungsberichte",
                    "Art, satire and fiction | Arte, sátira y ficción | Kunst, Satire und Fiktion",
                    "Harm reduction and safety | Reducción de daños y seguridad | Schadensminderung und Sicherheit",
                    "Official warnings | Avisos oficiales | Offizielle Warnungen")
EXCEPTION_SECTIONS = TL("Exceptions: context that is allowed | Excepciones: contextos permitidos | Ausnahmen: "
                        "erlaubte Kontexte",
                        "What remains allowed | Lo que sigue permitido | Was erlaubt bleibt",
                        "Allowed uses and exceptions | Usos permitidos y excepciones | Erlaubte Nutzungen und Ausnahmen")
REGIONAL_SECTION = T("Rules for {c} | Normas para {c} | Regeln für {c}")
PREAMBLES = TL("This policy sets out what is allowed in {desc} {where}. | Esta política establece lo que está "
               "permitido en {desc} {where}. | Diese Richtlinie legt fest, was in {desc} {where} erlaubt ist.",
               "These rules cover {desc} {where}. | Estas normas cubren {desc} {where}. | Diese Regeln gelten bei "
               "{desc} {where}.")
PARENT_NOTE = T("Where this policy is silent, the worldwide policy `{parent}` applies. | Donde esta política no dice "
                "nada, se aplica la política mundial `{parent}`. | Wo diese Richtlinie nichts regelt, gilt die "
                "weltweite Richtlinie `{parent}`.")
WORLDWIDE = T("worldwide | en todo el mundo | weltweit")
FOR_MARKET = T("for viewers in {c} | para el público de {c} | für Zuschauer {in_c}")
NATIONAL_LAW = T("national law | legislación nacional | nationales Recht")

SURFACES = {  # id: (name, description)
    "shorts": (T("Shorts | Shorts | Shorts"), T("short videos, their captions and sounds | vídeos cortos, sus "
                                                "descripciones y sonidos | Kurzvideos, ihren Beschreibungen und Sounds")),
    "live": (T("Live | Directos | Live"), T("live streams, live chat and gifts | directos, chat en vivo y regalos | "
                                            "Livestreams, Live-Chat und Geschenken")),
    "comments": (T("Comments | Comentarios | Kommentare"), T("comments, replies and reactions | comentarios, "
                                                             "respuestas y reacciones | Kommentaren, Antworten und "
                                                             "Reaktionen")),
    "stories": (T("Stories | Historias | Storys"), T("stories and highlights | historias y destacadas | Storys und "
                                                     "Highlights")),
    "messages": (T("Messages | Mensajes | Nachrichten"), T("reported direct and group messages | mensajes directos "
                                                           "y grupales denunciados | gemeldeten Direkt- und "
                                                           "Gruppennachrichten")),
    "marketplace": (T("Marketplace | Marketplace | Marktplatz"), T("shop listings, product pages and seller profiles "
                                                                   "| anuncios, fichas de producto y perfiles de "
                                                                   "vendedor | Angeboten, Produktseiten und "
                                                                   "Verkäuferprofilen")),
    "ads": (T("Ads | Anuncios | Werbung"), T("paid ads and branded content | anuncios pagados y contenido de marca | "
                                             "bezahlten Anzeigen und Markeninhalten")),
    "music": (T("Music | Música | Musik"), T("tracks, lyrics and cover art | canciones, letras y portadas | Tracks, "
                                             "Songtexten und Covern")),
    "search": (T("Search | Búsqueda | Suche"), T("search suggestions, hashtags and trending pages | sugerencias de "
                                                 "búsqueda, hashtags y tendencias | Suchvorschlägen, Hashtags und "
                                                 "Trendseiten")),
    "profiles": (T("Profiles | Perfiles | Profile"), T("profile names, bios, avatars and links | nombres de perfil, "
                                                       "biografías, avatares y enlaces | Profilnamen, Bios, Avataren "
                                                       "und Links")),
}


@dataclass(frozen=True)
class Market:
    code: str
    en: str  # title
    en_p: str  # after a preposition ("the United States")
    es: str
    es_p: str
    de: str  # title
    de_for: str  # "für ..." (accusative, with its article)
    de_in: str  # "in ..." (dative phrase)
    lang: str
    cities: tuple[str, ...]
    money: str  # "{n} €" or "$ {n}" with {n}
    laws: tuple[str, ...] = ()


def _m(code, en, es, de, lang, cities, money, laws=(), en_p=None, es_p=None, de_for=None, de_in=None):
    return Market(code, en, en_p or en, es, es_p or es, de, de_for or de, de_in or f"in {de}", lang,
                  tuple(cities.split(", ")), money, tuple(laws))


MARKETS = [
    _m("US", "United States", "Estados Unidos", "USA", "en", "New York, Houston, Chicago, Phoenix", "${n}",
       ["COPPA", "18 U.S.C. § 2258A"], en_p="the United States", de_for="die USA", de_in="in den USA"),
    _m("GB", "United Kingdom", "Reino Unido", "Vereinigtes Königreich", "en", "London, Leeds, Manchester, Glasgow",
       "£{n}", ["Online Safety Act 2023"], en_p="the United Kingdom", es_p="el Reino Unido",
       de_for="das Vereinigte Königreich", de_in="im Vereinigten Königreich"),
    _m("DE", "Germany", "Alemania", "Deutschland", "de", "Berlin, Hamburg, Köln, Leipzig", "{n} €",
       ["NetzDG", "JMStV", "§ 86a StGB", "§ 130 StGB"]),
    _m("FR", "France", "Francia", "Frankreich", "en", "Paris, Marseille, Lyon, Lille", "{n} €", ["Loi SREN", "Loi Évin"]),
    _m("ES", "Spain", "España", "Spanien", "es", "Madrid, Sevilla, Valencia, Bilbao", "{n} €", ["LGCA 13/2022"]),
    _m("IT", "Italy", "Italia", "Italien", "en", "Roma, Milano, Napoli, Torino", "{n} €", ["AGCOM 2024 rules"]),
    _m("NL", "Netherlands", "Países Bajos", "Niederlande", "en", "Amsterdam, Rotterdam, Utrecht", "{n} €",
       en_p="the Netherlands", es_p="los Países Bajos", de_for="die Niederlande", de_in="in den Niederlanden"),
    _m("PL", "Poland", "Polonia", "Polen", "en", "Warszawa, Kraków, Gdańsk", "{n} zł"),
    _m("SE", "Sweden", "Suecia", "Schweden", "en", "Stockholm, Göteborg, Malmö", "{n} kr"),
    _m("AT", "Austria", "Austria", "Österreich", "de", "Wien, Graz, Linz, Salzburg", "{n} €", ["KoPl-G"]),
    _m("IE", "Ireland", "Irlanda", "Irland", "en", "Dublin, Cork, Galway", "€{n}", ["Online Safety Code"]),
    _m("PT", "Portugal", "Portugal", "Portugal", "en", "Lisboa, Porto, Braga", "{n} €"),
    _m("BR", "Brazil", "Brasil", "Brasilien", "en", "São Paulo, Rio de Janeiro, Recife, Salvador", "R$ {n}",
       ["Marco Civil da Internet", "ECA"]),
    _m("MX", "Mexico", "México", "Mexiko", "es", "CDMX, Guadalajara, Monterrey, Puebla", "${n} MXN"),
    _m("AR", "Argentina", "Argentina", "Argentinien", "es", "Buenos Aires, Córdoba, Rosario", "${n} ARS"),
    _m("CO", "Colombia", "Colombia", "Kolumbien", "es", "Bogotá, Medellín, Cali", "${n} COP"),
    _m("CL", "Chile", "Chile", "Chile", "es", "Santiago, Valparaíso, Concepción", "${n} CLP"),
    _m("IN", "India", "India", "Indien", "en", "Mumbai, Delhi, Bengaluru, Hyderabad", "₹{n}", ["IT Rules 2021"]),
    _m("ID", "Indonesia", "Indonesia", "Indonesien", "en", "Jakarta, Surabaya, Bandung", "Rp{n}rb", ["UU ITE"]),
    _m("PH", "Philippines", "Filipinas", "Philippinen", "en", "Manila, Cebu, Davao", "₱{n}", en_p="the Philippines",
       de_for="die Philippinen", de_in="auf den Philippinen"),
    _m("VN", "Vietnam", "Vietnam", "Vietnam", "en", "Hà Nội, TP.HCM, Đà Nẵng", "{n}k ₫"),
    _m("TH", "Thailand", "Tailandia", "Thailand", "en", "Bangkok, Chiang Mai, Phuket", "฿{n}"),
    _m("JP", "Japan", "Japón", "Japan", "en", "Tokyo, Osaka, Fukuoka", "¥{n}00"),
    _m("KR", "South Korea", "Corea del Sur", "Südkorea", "en", "Seoul, Busan, Incheon", "₩{n},000", ["Network Act"]),
    _m("TR", "Türkiye", "Turquía", "Türkei", "en", "İstanbul, Ankara, İzmir", "{n} TL", ["Law No. 5651"],
       de_for="die Türkei", de_in="in der Türkei"),
    _m("SA", "Saudi Arabia", "Arabia Saudí", "Saudi-Arabien", "en", "Riyadh, Jeddah, Dammam", "{n} SAR"),
    _m("AE", "United Arab Emirates", "Emiratos Árabes Unidos", "Vereinigte Arabische Emirate", "en",
       "Dubai, Abu Dhabi, Sharjah", "{n} AED", en_p="the United Arab Emirates", es_p="los Emiratos Árabes Unidos",
       de_for="die Vereinigten Arabischen Emirate", de_in="in den Vereinigten Arabischen Emiraten"),
    _m("EG", "Egypt", "Egipto", "Ägypten", "en", "Cairo, Alexandria, Giza", "{n} EGP"),
    _m("NG", "Nigeria", "Nigeria", "Nigeria", "en", "Lagos, Abuja, Kano", "₦{n},000"),
    _m("KE", "Kenya", "Kenia", "Kenia", "en", "Nairobi, Mombasa, Kisumu", "KSh {n}"),
    _m("ZA", "South Africa", "Sudáfrica", "Südafrika", "en", "Johannesburg, Cape Town, Durban", "R{n}"),
    _m("AU", "Australia", "Australia", "Australien", "en", "Sydney, Melbourne, Brisbane", "A${n}",
       ["Online Safety Act 2021"]),
    _m("CA", "Canada", "Canadá", "Kanada", "en", "Toronto, Montréal, Vancouver", "C${n}"),
    _m("PK", "Pakistan", "Pakistán", "Pakistan", "en", "Karachi, Lahore, Islamabad", "Rs {n}"),
    _m("EU", "European Union", "Unión Europea", "Europäische Union", "en", "Brussels, Wien, Paris, Berlin", "{n} €",
       ["Digital Services Act", "AVMSD Art. 28b", "AI Act Art. 50"], en_p="the European Union",
       es_p="la Unión Europea", de_for="die Europäische Union", de_in="in der Europäischen Union"),
]
MARKET_BY_CODE = {m.code: m for m in MARKETS}
EU_MEMBER_MARKETS = ("DE", "FR", "ES", "IT", "NL", "PL", "SE", "AT", "IE", "PT")

# ---- content (labelled examples): per language, not aligned
OPENERS = {"en": ["", "", "ok so ", "PSA: ", "real talk: ", "lol ", "not gonna lie, ", "📢 "],
           "es": ["", "", "a ver, ", "OJO: ", "en serio: ", "jaja ", "no voy a mentir, ", "📢 "],
           "de": ["", "", "also, ", "Achtung: ", "mal ehrlich: ", "lol ", "ganz ehrlich, ", "📢 "]}
CTAS = {"en": ["", "dm me", "link in bio", "comment 'yes' for details", "turn on notifications",
               "telegram in bio", "only {n} left", "ends at midnight", "repost this", "code {code} for {pct}% off"],
        "es": ["", "escríbeme al privado", "link en la bio", "comenta «sí» y te cuento", "activa las "
               "notificaciones", "telegram en la bio", "solo quedan {n}", "acaba a medianoche", "compártelo",
               "código {code} para un {pct} % de descuento"],
        "de": ["", "schreib mir privat", "Link in der Bio", "kommentiert „ja“ für Details", "Glocke aktivieren",
               "Telegram in der Bio", "nur noch {n} übrig", "endet um Mitternacht", "teilt das", "Code {code} für "
               "{pct} % Rabatt"]}
EMOJI = ["", "", "🔥", "👀", "💯", "😂", "🙏", "⚠️", "✨", "😳", "💥", "📍"]
ALLOWED_POSTS = {
    "en": ["New episode of our documentary: how {obj} spread online and what moderators do about it. Out {day}.",
           "History teacher here. Today's lesson is about {obj} and why they cause harm; {n} students asked great "
           "questions.",
           "Journalist thread 🧵 we spent {y} months investigating {obj} in {city}. Full report in the link, no "
           "glorification.",
           "Safety tip from our team in {city}: if you see {x} on your feed, report it and talk to someone you "
           "trust.",
           "Satire sketch #{n}: our host tries to explain {x} to his grandma.",
           "{y} years ago I got pulled into {x}. This is how I got out, and where to find help.",
           "Police in {city} warn about {x}: here is what to look out for ({day})."],
    "es": ["Nuevo episodio de nuestro documental: cómo se difunden {obj} en internet y qué hacen los moderadores. "
           "Sale el {day}.",
           "Soy profe de historia. La clase de hoy trata sobre {obj} y por qué hacen daño; {n} alumnos hicieron "
           "muy buenas preguntas.",
           "Hilo de periodista 🧵 pasamos {y} meses investigando {obj} en {city}. Informe completo en el enlace, sin "
           "glorificar nada.",
           "Consejo de seguridad de nuestro equipo en {city}: si ves {x} en tu feed, denúncialo y habla con alguien "
           "de confianza.",
           "Sketch de sátira n.º {n}: nuestro presentador intenta explicarle {x} a su abuela.",
           "Hace {y} años caí en {x}. Así salí, y aquí puedes encontrar ayuda.",
           "La policía de {city} advierte sobre {x}: esto es lo que hay que vigilar ({day})."],
    "de": ["Neue Folge unserer Doku: wie sich {obj} online verbreiten und was Moderatoren dagegen tun. Ab {day}.",
           "Geschichtslehrerin hier. Heute ging es um {obj} und warum sie schaden; {n} Schüler haben tolle Fragen "
           "gestellt.",
           "Recherche-Thread 🧵 wir haben {y} Monate zu {obj} in {city} recherchiert. Ganzer Bericht im Link, ohne "
           "Verherrlichung.",
           "Sicherheitstipp von unserem Team in {city}: Wenn ihr {x} im Feed seht, meldet es und redet mit jemandem, "
           "dem ihr vertraut.",
           "Satire-Sketch Nr. {n}: Unser Moderator versucht, seiner Oma {x} zu erklären.",
           "Vor {y} Jahren bin ich in {x} reingerutscht. So bin ich rausgekommen, und hier gibt es Hilfe.",
           "Die Polizei in {city} warnt vor {x}: darauf solltet ihr achten ({day})."],
}
DAYS = {"en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
        "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]}
PCTS = (10, 15, 20, 25, 30, 40, 50, 70)
# shells around a violating post: reposts, questions, series (the post itself stays intact)
SHELLS = {"en": ["{p}", "{p}", "{p}", "{p} 🤷", "{p}. agree?", "repost: {p}", "{p} (part {n})", "saying it again: {p}",
                 "{p} — stitch this", "pinned: {p}"],
          "es": ["{p}", "{p}", "{p}", "{p} 🤷", "{p}. ¿de acuerdo?", "repost: {p}", "{p} (parte {n})",
                 "lo repito: {p}", "{p} — haz un dúo", "fijado: {p}"],
          "de": ["{p}", "{p}", "{p}", "{p} 🤷", "{p}. Seht ihr das auch so?", "Repost: {p}", "{p} (Teil {n})",
                 "nochmal zum Mitschreiben: {p}", "{p} – macht ein Duett", "angepinnt: {p}"]}
HANDLES = ["jay.k", "mila_x", "dani2009", "the.real.tom", "lea_lol", "kev_on_tour", "noor.h", "samu_fit", "zoe.mp4",
           "marco_vlogs", "ines.b", "ollie_k"]
KINDS = {"violating": ["post", "comment", "caption", "live_chat", "bio", "listing", "reply"],
         "non_violating": ["news", "education", "counter_speech", "satire", "awareness", "testimony"]}
REQUIREMENT_CATEGORIES = {"synthetic_media", "regulated_goods", "fraud_scams_spam", "intellectual_property",
                          "misinformation"}


# ---------------------------------------------------------------------------------------------- the plan
@dataclass
class Rule:
    id: str
    kind: str
    severity: str
    actions: list[str]
    texts: dict[str, str]
    titles: dict[str, str]
    obj: int  # index into the category's objects
    jurisdictions: list[str] = field(default_factory=list)
    exception_to: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    refers_to: list[str] = field(default_factory=list)
    signals: str = ""  # the YAML flow of `signals`, or ""
    satisfied_by: str = ""


@dataclass
class Section:
    titles: dict[str, str]
    rules: list[Rule] = field(default_factory=list)


@dataclass
class Policy:
    id: str
    num: int
    category: str
    surface: str
    market: str  # a code or GLOBAL
    lang: str  # the original's language
    parent: Policy | None
    version: int
    effective_from: dt.date
    titles: dict[str, str] = field(default_factory=dict)
    preamble: dict[str, str] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    definitions: list[dict] = field(default_factory=list)
    fm_examples: list[dict] = field(default_factory=list)
    used: set[tuple[int, int]] = field(default_factory=set)  # (verb, object) pairs its base rules use

    def rules(self) -> list[Rule]:
        return [r for s in self.sections for r in s.rules]


def _clean(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r" ([,.;)])", r"\1", s)
    s = s.replace(",,", ",").replace(", ,", ",").replace(",.", ".")
    return s


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _lower_first(s: str, lang: str) -> str:
    return s if lang == "de" else s[:1].lower() + s[1:]


def verb_phrase(verb: dict[str, str], lang: str, obj: str, qual: str, plural: bool) -> str:
    pattern = verb[lang].split("~")[0]
    if lang == "en":
        pattern = pattern.replace("{s}", "" if plural else "s").replace("{es}", "" if plural else "es")
    elif lang == "es":
        pattern = pattern.replace("{n}", "n" if plural else "")
    return _clean(pattern.replace("{o}", obj).replace("{q}", qual))


#: rule-title nouns that take another preposition than "of" / "de" before the object
TITLE_NOUNS = {
    "en": {"Material support": "Material support for {o}", "Recruitment": "Recruitment for {o}",
           "Calls for exclusion": "Calls to exclude {o}", "Slurs": "Slurs against {o}",
           "Insults": "Insults against {o}", "Pile-ons": "Pile-ons against {o}", "Threats": "Threats against {o}",
           "Links": "Links to {o}", "Scam tools": "Scam tools for {o}", "Threats to expose": "Threats to expose {o}",
           "Undisclosed AI content": "Undisclosed posting of {o}", "Dares": "Dares aimed at {o}",
           "Sexualisation": "Sexualisation of {o}", "Giveaways": "Giveaways of {o}",
           "Youth marketing": "Youth marketing of {o}"},
    "es": {"Apoyo material": "Apoyo material a {o}", "Reclutamiento": "Reclutamiento para {o}",
           "Llamamientos a la exclusión": "Llamamientos a excluir a {o}", "Insultos": "Insultos contra {o}",
           "Ataques coordinados": "Ataques coordinados contra {o}", "Amenazas": "Amenazas contra {o}",
           "Enlaces": "Enlaces a {o}", "Herramientas de estafa": "Herramientas para {o}",
           "Amenaza de revelación": "Amenazas de revelar {o}", "Retos peligrosos": "Retos peligrosos para {o}"},
}


def verb_noun(verb: dict[str, str], lang: str) -> str:
    noun = verb[lang].split("~")[-1]
    return TITLE_NOUNS.get(lang, {}).get(noun, noun)


def formal(obj: dict[str, str], lang: str) -> str:
    return obj[lang].split("~")[0]


def slang(obj: dict[str, str], lang: str) -> str:
    return obj[lang].split("~")[1].rstrip(",")


def market_phrases(code: str, lang: str) -> dict[str, str]:
    m = MARKET_BY_CODE[code]
    if lang == "en":
        return {"in_c": m.en_p, "for_c": m.en_p, "In_c": "In " + m.en_p, "c": m.en_p, "title": m.en}
    if lang == "es":
        return {"in_c": m.es_p, "for_c": m.es_p, "In_c": "En " + m.es_p, "c": m.es_p, "title": m.es}
    return {"in_c": m.de_in, "for_c": m.de_for, "In_c": _cap(m.de_in), "c": m.de_for, "title": m.de}


class Generator:
    def __init__(self, rules: int, languages: list[str], seed: int, examples_per_rule: int) -> None:
        self.total = rules
        self.languages = languages
        self.seed = seed
        self.k = examples_per_rule
        self.rng = random.Random(f"policygraph-gen:{seed}")
        self.policies: list[Policy] = []
        self.rule_texts: dict[str, set[str]] = {lg: set() for lg in languages}
        self.all_rule_ids: set[str] = set()
        self.example_digests: set[bytes] = set()
        self.term_ids: set[str] = set()
        self.pids: set[str] = set()
        self.worldwide: dict[tuple[str, str], Policy] = {}
        self.stats: dict[str, int] = dict.fromkeys(
            ("overrides", "overrides_cross_policy", "exceptions", "exceptions_cross_policy", "refers_to_attr",
             "refs_in_text", "refs_cross_policy", "signals", "definitions", "fm_examples"), 0)

    # -------------------------------------------------------------- policies
    def plan(self) -> None:
        rng = self.rng
        pairs = [(s, c) for s in SURFACES for c in CATEGORIES]
        rng.shuffle(pairs)
        started: list[tuple[str, str]] = []
        used_markets: dict[tuple[str, str], list[str]] = {}
        variant = 0
        left = self.total
        step = 0
        while left > 0:
            step += 1
            new_global = started == [] or (pairs and (step % 2 == 1 or len(started) < 3))
            if new_global and pairs:
                surface, cat = pairs.pop()
                started.append((surface, cat))
                used_markets[(surface, cat)] = []
                market, parent = "GLOBAL", None
            else:
                surface, cat = started[rng.randrange(len(started))]
                free = [m.code for m in MARKETS if m.code not in used_markets[(surface, cat)]]
                if not free:  # every market of this pair is taken: a numbered variant
                    variant += 1
                    free = [rng.choice(MARKETS).code]
                market = rng.choice(free)
                used_markets[(surface, cat)].append(market)
                parent = self.worldwide[(surface, cat)]
            n = min(left, rng.randint(12, 36))
            if 0 < left - n < 6:
                n = left
            left -= n
            self._policy(surface, cat, market, parent, n)
        self.variants = variant

    def _policy(self, surface: str, cat: str, market: str, parent: Policy | None, n: int) -> None:
        rng = self.rng
        spec = CATEGORIES[cat]
        num = len(self.policies) + 1
        pid = f"{surface}-{market.lower()}-{spec['slug']}"
        if pid in self.pids:  # a numbered variant of a surface x market x category already taken
            pid = f"{pid}-{num}"
        self.pids.add(pid)
        mlang = MARKET_BY_CODE[market].lang if market != "GLOBAL" else "en"
        lang = mlang if mlang in self.languages else ("en" if "en" in self.languages else self.languages[0])
        p = Policy(id=pid, num=num, category=cat, surface=surface, market=market, lang=lang, parent=parent,
                   version=rng.randint(1, 7),
                   effective_from=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 540)))
        sname, sdesc = SURFACES[surface]
        for lg in self.languages:
            mtitle = {"en": "Worldwide", "es": "Mundial", "de": "Weltweit"}[lg] if market == "GLOBAL" \
                else market_phrases(market, lg)["title"]
            p.titles[lg] = f"{sname[lg]} · {mtitle}: {spec['title'][lg]}"
        pre_i = rng.randrange(len(PREAMBLES))
        for lg in self.languages:
            where = WORLDWIDE[lg] if market == "GLOBAL" else FOR_MARKET[lg].format(**market_phrases(market, lg))
            parts = [PREAMBLES[pre_i][lg].format(desc=sdesc[lg], where=where), spec["summary"][lg]]
            if pre_i == 1:
                parts.reverse()
            if parent is not None:
                parts.append(PARENT_NOTE[lg].format(parent=parent.id))
            p.preamble[lg] = " ".join(parts)

        n_exc = max(1, round(n * 0.12)) if n >= 4 else 0
        n_reg = min(3, max(1, round(n * 0.08))) if parent is not None and n >= 6 else 0
        n_ovr = round(n * 0.1) if parent is None and n >= 6 else 0
        n_base = n - n_exc - n_reg - n_ovr
        topics = list(range(len(spec["topics"])))
        rng.shuffle(topics)
        n_sec = max(1, min(len(topics), -(-n_base // 6)))
        sizes = [n_base // n_sec + (1 if i < n_base % n_sec else 0) for i in range(n_sec)]
        prefix = spec["prefix"]
        base_rules: list[Rule] = []
        for si, size in enumerate(sizes):
            sec = Section(titles={lg: f"{si + 1}. {spec['topics'][topics[si]][lg]}" for lg in self.languages})
            p.sections.append(sec)
            for ri in range(size):
                rid = f"{prefix}-{num}.{si + 1}.{ri + 1}"
                rule = self._base_rule(p, rid, base_rules)
                sec.rules.append(rule)
                base_rules.append(rule)
        # regional overrides inside a worldwide policy, next to their target
        targets = [r for r in base_rules if r.kind in ("prohibited", "restricted")]
        for _ in range(n_ovr):
            if not targets:
                break
            target = rng.choice(targets)
            code = rng.choice(MARKETS).code
            rid = f"{target.id}-{code}"
            if rid in self.all_rule_ids:
                code = next((m.code for m in MARKETS if f"{target.id}-{m.code}" not in self.all_rule_ids), None)
                if code is None:
                    continue
                rid = f"{target.id}-{code}"
            rule = self._override(p, rid, target, code)
            sec = next(s for s in p.sections if any(r is target for r in s.rules))
            sec.rules.insert(next(i for i, r in enumerate(sec.rules) if r is target) + 1, rule)
        # a market policy: its own section of overrides of the worldwide policy's rules
        if n_reg:
            codes = [market] if market != "EU" else ["EU", *EU_MEMBER_MARKETS]
            sec = Section(titles={lg: f"{len(p.sections) + 1}. " + REGIONAL_SECTION[lg].format(
                c=market_phrases(market, lg)["title"]) for lg in self.languages})
            pool = [r for r in parent.rules() if r.kind in ("prohibited", "restricted") and not r.overrides]
            rng.shuffle(pool)
            for target in pool:
                if len(sec.rules) >= n_reg:
                    break
                code = rng.choice(codes)
                rid = f"{target.id}-{code}"
                if rid in self.all_rule_ids:
                    continue
                sec.rules.append(self._override(p, rid, target, code, cross=True))
            fill = n_reg - len(sec.rules)
            if sec.rules:
                p.sections.append(sec)
            for _ in range(fill):  # no free target: more base rules in the last section instead
                last = p.sections[len(sizes) - 1]
                rid = f"{prefix}-{num}.{len(sizes)}.{len(last.rules) + 1}"
                rule = self._base_rule(p, rid, base_rules)
                last.rules.append(rule)
                base_rules.append(rule)
        if n_exc:
            ei = rng.randrange(len(EXCEPTION_SECTIONS))
            sno = len(p.sections) + 1
            sec = Section(titles={lg: f"{sno}. {EXCEPTION_SECTIONS[ei][lg]}" for lg in self.languages})
            p.sections.append(sec)
            prohibitions = [r for r in p.rules() if r.kind in ("prohibited", "restricted")]
            for i in range(n_exc):
                sec.rules.append(self._exception(p, f"{prefix}-{num}.{sno}.{i + 1}", prohibitions))
        while sum(len(s.rules) for s in p.sections) < n:  # overrides that found no target
            last = p.sections[len(sizes) - 1]
            rid = f"{prefix}-{num}.{len(sizes)}.{len(last.rules) + 1}"
            while rid in self.all_rule_ids:
                rid += "0"
            rule = self._base_rule(p, rid, base_rules)
            last.rules.append(rule)
            base_rules.append(rule)
        assert sum(len(s.rules) for s in p.sections) == n, (pid, n)
        self._definitions(p)
        self.policies.append(p)
        if market == "GLOBAL":
            self.worldwide[(surface, cat)] = p

    # -------------------------------------------------------------- rules
    def _unique(self, render, tries: int = 60) -> dict[str, str]:
        """Draw rule texts with `render()` until every language's text is new (asserting it at the end)."""
        for _ in range(tries):
            texts = render()
            if all(texts[lg] not in self.rule_texts[lg] for lg in self.languages):
                for lg in self.languages:
                    self.rule_texts[lg].add(texts[lg])
                return texts
        raise AssertionError(f"could not compose a distinct rule text after {tries} draws: {texts}")

    def _severity_actions(self, kind: str) -> tuple[str, list[str]]:
        rng = self.rng
        if kind == "prohibited":
            sev = rng.choices(["critical", "high", "medium"], [1, 3, 2])[0]
            acts = ["remove"] + rng.sample(["strike", "suspend_account", "escalate", "demonetize"],
                                           rng.randint(0, 2) if sev != "critical" else 2)
            if sev == "critical" and "escalate" not in acts:
                acts.append("escalate")
        elif kind == "restricted":
            sev = rng.choice(["medium", "low"])
            acts = rng.sample(["reduce_reach", "age_restrict", "warn", "label", "demonetize"], rng.randint(1, 3))
        elif kind == "requirement":
            sev = rng.choice(["medium", "low"])
            acts = rng.choice([["label", "warn"], ["reduce_reach", "label"], ["label"], ["warn", "demonetize"]])
        else:
            sev = "low"
            acts = rng.choice([["none"], ["label"], ["label", "age_restrict"]])
        return sev, acts

    def _sentences(self, spec: dict, frame_kind: str, fi: int, vi: int, oi: int, qi: int, extra: dict,
                   lang: str) -> str:
        verb, obj = spec["verbs"][vi], spec["objects"][oi]
        o, q = formal(obj, lang), QUALIFIERS[qi][lang]
        v1, v2 = verb_phrase(verb, lang, o, q, False), verb_phrase(verb, lang, o, q, True)
        fmt = dict(V1=v1, V2=v2, **extra.get("market", {}).get(lang, {}), law=extra.get("law", {}).get(lang, ""))
        parts = [FRAMES[frame_kind][lang][fi].format(**fmt)]
        ex = extra.get("examples")
        if ex is not None:
            ef, (a, b, c) = ex
            parts.append(EXAMPLE_FRAMES[ef][lang].format(a=spec["examples"][a][lang], b=spec["examples"][b][lang],
                                                         c=spec["examples"][c][lang]))
        ctx = extra.get("context")
        if ctx is not None:
            cf, ci, di = ctx
            s = CONTEXT_FRAMES[cf][lang].format(c=CONTEXTS[ci][lang], d=CONDITIONS[di][lang])
            parts.insert(1 if extra.get("ctx_first") else len(parts), s)
        if extra.get("consequence") is not None:
            parts.append(CONSEQUENCES[extra["consequence"]][lang])
        if extra.get("ref") is not None:
            rf, ref, topic = extra["ref"]
            parts.append(REF_FRAMES[rf][lang].format(ref=ref, topic=_lower_first(topic[lang], lang)))
        return _clean(" ".join(parts))

    def _base_rule(self, p: Policy, rid: str, earlier: list[Rule]) -> Rule:
        rng = self.rng
        spec = CATEGORIES[p.category]
        kinds, weights = ["prohibited", "restricted"], [7, 2]
        if p.category in REQUIREMENT_CATEGORIES:
            kinds, weights = [*kinds, "requirement"], [*weights, 2]
        kind = rng.choices(kinds, weights)[0]
        sev, acts = self._severity_actions(kind)
        for _ in range(12):  # a (verb, object) pair the policy has not used yet, while there are some
            oi, vi = rng.randrange(len(spec["objects"])), rng.randrange(len(spec["verbs"]))
            if (vi, oi) not in p.used:
                break
        p.used.add((vi, oi))
        ref = None
        if rng.random() < 0.15:  # a reference written in the text: same policy, or across policies
            pool = earlier[-12:] if earlier and rng.random() < 0.6 else None
            if pool:
                target, topic = rng.choice(pool), spec["topics"][0]
                topic = next((s.titles for s in p.sections if any(r is target for r in s.rules)), topic)
                topic = {lg: re.sub(r"^\d+\. ", "", t) for lg, t in topic.items()}
            elif len(self.policies) > 1:
                other = self.policies[rng.randrange(len(self.policies))]
                sec = rng.choice(other.sections[:-1] or other.sections)
                target = rng.choice(sec.rules)
                topic = {lg: re.sub(r"^\d+\. ", "", t) for lg, t in sec.titles.items()}
                self.stats["refs_cross_policy"] += 1
            else:
                target = None
            if target is not None:
                ref = (rng.randrange(len(REF_FRAMES)), target.id, topic)
                self.stats["refs_in_text"] += 1

        def render() -> dict[str, str]:
            fi = rng.randrange(len(FRAMES[kind]["en"]))
            qi = rng.randrange(len(QUALIFIERS))
            extra = {"examples": (rng.randrange(len(EXAMPLE_FRAMES)),
                                  tuple(rng.sample(range(len(spec["examples"])), 3))),
                     "context": (rng.randrange(len(CONTEXT_FRAMES)), rng.randrange(len(CONTEXTS)),
                                 rng.randrange(len(CONDITIONS))),
                     "ctx_first": rng.random() < 0.3,
                     "consequence": rng.randrange(len(CONSEQUENCES)) if rng.random() < 0.55 else None,
                     "ref": ref}
            return {lg: self._sentences(spec, kind, fi, vi, oi, qi, extra, lg) for lg in self.languages}

        texts = self._unique(render)
        rule = Rule(id=rid, kind=kind, severity=sev, actions=acts, texts=texts, obj=oi,
                    titles=self._titles(spec, vi, oi))
        if kind == "requirement" and p.category == "synthetic_media":
            rule.signals = "{ai_generated_undisclosed: {min: 0.9, applies: true}}"
            rule.satisfied_by = "{ai_disclosed: 0.5}"
        elif kind == "requirement":
            rule.satisfied_by = "{paid_partnership_disclosed: 0.5}"
        elif spec["labels"] and rng.random() < 0.2:
            label = rng.choice(spec["labels"])
            rule.signals = f"{{{label}: {rng.choice([0.7, 0.8, 0.85, 0.9])}}}"
        if rule.signals:
            self.stats["signals"] += 1
        if rng.random() < 0.12 and len(self.policies) > 1:  # refers_to: another policy or one of its rules
            other = self.policies[rng.randrange(len(self.policies))]
            rule.refers_to = [other.id if rng.random() < 0.4 else rng.choice(other.rules()).id]
            self.stats["refers_to_attr"] += 1
        self.all_rule_ids.add(rid)
        return rule

    def _titles(self, spec: dict, vi: int, oi: int, prefix: dict[str, str] | None = None) -> dict[str, str]:
        out = {}
        for lg in self.languages:
            noun, o = verb_noun(spec["verbs"][vi], lg), formal(spec["objects"][oi], lg).rstrip(",")
            if "{o}" in noun:
                t = noun.replace("{o}", o)
            else:
                t = {"en": f"{noun} of {o}", "es": f"{noun} de {o}", "de": f"{noun} – {o}"}[lg]
            out[lg] = f"{prefix[lg]}: {t}" if prefix else t
        return out

    def _override(self, p: Policy, rid: str, target: Rule, code: str, cross: bool = False) -> Rule:
        rng = self.rng
        spec = CATEGORIES[p.category]
        m = MARKET_BY_CODE[code]
        law_name = rng.choice(m.laws) if m.laws and rng.random() < 0.8 else None
        law = {lg: law_name or NATIONAL_LAW[lg] for lg in self.languages}
        oi = target.obj
        vi = rng.randrange(len(spec["verbs"]))

        def render() -> dict[str, str]:
            fi = rng.randrange(len(FRAMES["override"]["en"]))
            qi = rng.randrange(len(QUALIFIERS))
            extra = {"market": {lg: market_phrases(code, lg) for lg in self.languages}, "law": law,
                     "context": (rng.randrange(len(CONTEXT_FRAMES)), rng.randrange(len(CONTEXTS)),
                                 rng.randrange(len(CONDITIONS))) if rng.random() < 0.6 else None,
                     "consequence": rng.randrange(len(CONSEQUENCES)) if rng.random() < 0.4 else None}
            return {lg: self._sentences(spec, "override", fi, vi, oi, qi, extra, lg) for lg in self.languages}

        texts = self._unique(render)
        sev = rng.choice(["critical", "high"]) if target.severity in ("critical", "high") else "high"
        acts = ["remove"] + rng.sample(["escalate", "strike", "suspend_account"], rng.randint(0, 2))
        rule = Rule(id=rid, kind="prohibited", severity=sev, actions=acts, texts=texts, obj=oi,
                    titles=self._titles(spec, vi, oi, {lg: market_phrases(code, lg)["title"]
                                                       for lg in self.languages}),
                    jurisdictions=[code], overrides=[target.id])
        self.stats["overrides"] += 1
        self.stats["overrides_cross_policy"] += cross
        self.all_rule_ids.add(rid)
        return rule

    def _exception(self, p: Policy, rid: str, prohibitions: list[Rule]) -> Rule:
        rng = self.rng
        spec = CATEGORIES[p.category]
        targets = rng.sample(prohibitions, min(len(prohibitions), rng.randint(1, 3))) if prohibitions else []
        cross = False
        if p.parent is not None and rng.random() < 0.35:
            pool = [r for r in p.parent.rules() if r.kind in ("prohibited", "restricted")]
            if pool:
                targets.append(rng.choice(pool))
                cross = True
        ids = sorted({r.id for r in targets})
        oi = targets[0].obj if targets else rng.randrange(len(spec["objects"]))
        si = rng.randrange(len(ALLOWED_SUBJECTS))
        write_ids = rng.random() < 0.5

        def render() -> dict[str, str]:
            fi = rng.randrange(len(FRAMES["allowed"]["en"]))
            ai, qi = rng.randrange(len(ALLOWED_VERBS)), rng.randrange(len(ALLOWED_QUALS))
            ci, di, cf = rng.randrange(len(CONTEXTS)), rng.randrange(len(CONDITIONS)), rng.randrange(len(CONTEXT_FRAMES))
            xf = rng.randrange(len(EXCEPTION_FRAMES))
            out = {}
            for lg in self.languages:
                subj = ALLOWED_SUBJECTS[si][lg]
                av = ALLOWED_VERBS[ai][lg].replace("{o}", formal(spec["objects"][oi], lg))
                s = FRAMES["allowed"][lg][fi].format(subj=subj, Subj=_cap(subj), av=av, aq=ALLOWED_QUALS[qi][lg])
                parts = [s, CONTEXT_FRAMES[cf][lg].format(c=CONTEXTS[ci][lg], d=CONDITIONS[di][lg])]
                if write_ids and ids:
                    parts.append(EXCEPTION_FRAMES[xf][lg].format(ids=", ".join(ids)))
                out[lg] = _clean(" ".join(parts))
            return out

        texts = self._unique(render)
        sev, acts = self._severity_actions("allowed")
        rule = Rule(id=rid, kind="allowed", severity=sev, actions=acts, texts=texts, obj=oi,
                    titles={lg: f"{ALLOWED_TITLES[si][lg]}: {formal(spec['objects'][oi], lg).rstrip(',')}"
                            for lg in self.languages},
                    exception_to=ids)
        self.stats["exceptions"] += 1
        self.stats["exceptions_cross_policy"] += cross
        self.all_rule_ids.add(rid)
        return rule

    def _definitions(self, p: Policy) -> None:
        rng = self.rng
        spec = CATEGORIES[p.category]
        terms = spec["terms"] if p.parent is None else ([rng.choice(spec["terms"])] if rng.random() < 0.35 else [])
        sname = SURFACES[p.surface][0]["en"].lower()
        for slug_, term, definition, aliases, label in terms:
            tid = f"{p.id}-{slug_}"
            assert tid not in self.term_ids, tid
            self.term_ids.add(tid)
            al = {lg: list(aliases[lg]) for lg in self.languages}
            where = "worldwide" if p.market == "GLOBAL" else f"in {MARKET_BY_CODE[p.market].en_p}"
            d = {"id": tid, "term": term, "definition": f"{definition} (As used for {sname} {where}.)",
                 "aliases": al}
            if label:
                d["signals"] = f"{{{label}: 0.8}}"
            p.definitions.append(d)
            self.stats["definitions"] += 1

    # -------------------------------------------------------------- content
    def _fill(self, template: str, rng: random.Random, lang: str, market: str, x: str, obj: str) -> str:
        m = MARKET_BY_CODE[market if market != "GLOBAL" else rng.choice(MARKETS).code]
        n = rng.randint(2, 999)
        return template.format(x=x, obj=obj, city=rng.choice(m.cities), n=n, y=rng.randint(2, 12), price=m.money.format(n=rng.randint(5, 900)),
                               day=rng.choice(DAYS[lang]), handle=rng.choice(HANDLES), pct=rng.choice(PCTS),
                               code=f"{rng.choice(['GO', 'VIP', 'WIN', 'HOT', 'NEW'])}{rng.randint(10, 99)}")

    def content(self, rng: random.Random, category: str, obj: int, label: str, lang: str, market: str) -> str:
        """One piece of content (a post, comment, caption ...) about `obj`, distinct from every other one."""
        spec = CATEGORIES[category]
        o = spec["objects"][obj]
        for attempt in range(40):
            if label == "violating":
                body = self._fill(rng.choice(spec["posts"][lang]), rng, lang, market, slang(o, lang), formal(o, lang))
                body = rng.choice(OPENERS[lang]) + body
                cta = self._fill(rng.choice(CTAS[lang]), rng, lang, market, "", "")
                if cta and cta.lower() not in body.lower():
                    body += (" " if body[-1] in ".!?🔥👀😂🤫🎁💀🖤😉💋🏁⚽🍿😳🦁🙄" else rng.choice([". ", " — ", " · ", "!! "])) + cta
                body = rng.choice(SHELLS[lang]).replace("{n}", str(rng.randint(2, 9))).replace("{p}", body)
                parts = [body, rng.choice(EMOJI)]
                if rng.random() < 0.5:
                    tag = re.sub(r"[^\w]+", "", slang(o, lang).split()[-1].lower())
                    parts.append(f"#{tag}" + (f" #{rng.choice(HANDLES).split('.')[0].split('_')[0]}"
                                              if rng.random() < 0.3 else ""))
            else:
                parts = [self._fill(rng.choice(ALLOWED_POSTS[lang]), rng, lang, market, slang(o, lang),
                                    formal(o, lang)), rng.choice(EMOJI)]
            text = _clean(" ".join(x for x in parts if x))
            if attempt > 20:
                text += f" ({rng.randint(1000, 99999)})"
            digest = hashlib.blake2b(text.encode(), digest_size=12).digest()
            if digest not in self.example_digests:
                self.example_digests.add(digest)
                return text
        raise AssertionError(f"could not compose a distinct example text: {text}")

    def rows_for(self, p: Policy, rule: Rule, count: int, rng: random.Random, start: int = 0) -> list[dict]:
        label = "non_violating" if rule.kind == "allowed" else "violating"
        out = []
        for i in range(count):
            lang = self.languages[(start + i + rule.obj) % len(self.languages)] if rng.random() < 0.8 else p.lang
            out.append({"text": self.content(rng, p.category, rule.obj, label, lang, p.market), "language": lang,
                        "category": p.category, "rule_id": rule.id, "label": label,
                        "source": f"gen-{p.surface}-queue", "kind": rng.choice(KINDS[label])})
        return out

    def front_matter_examples(self) -> None:
        for p in self.policies:
            rng = random.Random(f"fm:{self.seed}:{p.id}")
            rule = next(r for r in p.rules() if not r.overrides)
            label = "non_violating" if rule.kind == "allowed" else "violating"
            text = self.content(rng, p.category, rule.obj, label, p.lang, p.market)
            p.fm_examples.append({"rule": rule.id, "label": label, "language": p.lang, "text": text,
                                  "rationale": f"Illustrates {rule.id} ({rule.titles.get('en', rule.id)})."})
            self.stats["fm_examples"] += 1

    def check_unique(self) -> None:
        for lg, texts in self.rule_texts.items():
            n = sum(1 for p in self.policies for r in p.rules())
            assert len(texts) == n, f"{lg}: {n} rules but {len(texts)} distinct texts"
        ids = [r.id for p in self.policies for r in p.rules()]
        assert len(ids) == len(set(ids)) == self.total, (len(ids), len(set(ids)), self.total)


# ---------------------------------------------------------------------------------------------- writing
def q(s: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def flow_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def render_policy(p: Policy, lang: str, original: bool) -> str:
    out = ["---", f"id: {p.id}"]
    if original:
        out += [f"title: {q(p.titles[lang])}", f"category: {p.category}", f"version: {p.version}",
                f"effective_from: {p.effective_from.isoformat()}", f"language: {lang}",
                f"jurisdictions: [{p.market}]", "translation_of: null"]
        if p.definitions:
            out.append("definitions:")
            for d in p.definitions:
                out += [f"  - id: {d['id']}", f"    term: {q(d['term'])}"]
                if d.get("signals"):
                    out.append(f"    signals: {d['signals']}")
                out += ["    definition: >-"] + ["      " + ln for ln in textwrap.wrap(d["definition"], 100)]
                out.append("    aliases:")
                out += [f"      {lg}: [{', '.join(q(a) for a in names)}]" for lg, names in d["aliases"].items()]
        if p.fm_examples:
            out.append("examples:")
            for e in p.fm_examples:
                out += [f"  - rule: {e['rule']}", f"    label: {e['label']}", f"    language: {e['language']}",
                        f"    text: {q(e['text'])}", f"    rationale: {q(e['rationale'])}"]
    else:
        out += [f"translation_of: {p.id}", f"language: {lang}", f"title: {q(p.titles[lang])}"]
    out += ["---", "", f"# {p.titles[lang]}", ""]
    out += textwrap.wrap(p.preamble[lang], 110) + [""]
    for s in p.sections:
        out += [f"## {s.titles[lang]}", ""]
        for r in s.rules:
            out.append(f"### {r.id} {r.titles[lang]}")
            if original:
                attrs = [f"kind: {r.kind}", f"severity: {r.severity}", f"actions: {flow_list(r.actions)}"]
                if r.jurisdictions:
                    attrs.append(f"jurisdictions: {flow_list(r.jurisdictions)}")
                for key in ("exception_to", "overrides", "refers_to"):
                    if getattr(r, key):
                        attrs.append(f"{key}: {flow_list(getattr(r, key))}")
                if r.signals:
                    attrs.append(f"signals: {r.signals}")
                if r.satisfied_by:
                    attrs.append(f"satisfied_by: {r.satisfied_by}")
                out.append("{" + ", ".join(attrs) + "}")
            out += [""] + textwrap.wrap(r.texts[lang], 110) + [""]
    return "\n".join(out)


def policy_paths(out: Path, p: Policy, languages: list[str]) -> dict[str, Path]:
    d = out / CATEGORIES[p.category]["slug"]
    return {lg: d / (f"{p.id}.md" if lg == p.lang else f"{p.id}.{lg}.md") for lg in languages}


def examples_path(out: Path, p: Policy, part: int = 1) -> Path:
    return out / "examples" / CATEGORIES[p.category]["slug"] / (f"{p.id}.jsonl" if part == 1 else f"{p.id}.{part}.jsonl")


def write_corpus(gen: Generator, out: Path) -> dict[str, int]:
    files = nbytes = rows = translations = 0
    for p in gen.policies:
        paths = policy_paths(out, p, gen.languages)
        paths[p.lang].parent.mkdir(parents=True, exist_ok=True)
        for lg, path in paths.items():
            data = render_policy(p, lg, lg == p.lang).encode()
            path.write_bytes(data)
            files += 1
            nbytes += len(data)
            translations += lg != p.lang
        if gen.k:
            rng = random.Random(f"ex:{gen.seed}:{p.id}")
            lines = [json.dumps(row, ensure_ascii=False) for r in p.rules() for row in gen.rows_for(p, r, gen.k, rng)]
            path = examples_path(out, p)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = ("\n".join(lines) + "\n").encode()
            path.write_bytes(data)
            files += 1
            nbytes += len(data)
            rows += len(lines)
    return {"files": files, "bytes": nbytes, "rows": rows, "translations": translations}


def append_examples(gen: Generator, out: Path, n: int, manifest: dict) -> dict[str, int]:
    """N more labelled rows, spread round-robin over every rule of every policy, appended to the policies'
    JSONL files (rolling over to POLICY.2.jsonl, ... past ROLL_BYTES)."""
    for f in sorted((out / "examples").rglob("*.jsonl")):  # the texts already there stay distinct
        with f.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    gen.example_digests.add(hashlib.blake2b(json.loads(line)["text"].encode(), digest_size=12).digest())
    done = int(manifest.get("extra_rows", 0))
    rng = random.Random(f"extra:{gen.seed}:{done}")
    pairs = [(p, r) for p in gen.policies for r in p.rules()]
    rng.shuffle(pairs)
    per: dict[str, list[str]] = {}
    by_id = {p.id: p for p in gen.policies}
    for i in range(n):
        p, r = pairs[(done + i) % len(pairs)]
        row = gen.rows_for(p, r, 1, rng, start=done + i)[0]
        per.setdefault(p.id, []).append(json.dumps(row, ensure_ascii=False))
    files = nbytes = 0
    for pid, lines in per.items():
        p = by_id[pid]
        part = 1
        while examples_path(out, p, part + 1).exists():
            part += 1
        path = examples_path(out, p, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        size = path.stat().st_size if path.exists() else 0
        chunk: list[str] = []
        for line in lines:
            if size + len(line.encode()) + 1 > ROLL_BYTES and (chunk or size):
                _append(path, chunk)
                files += 1
                part += 1
                path, size, chunk = examples_path(out, p, part), 0, []
            chunk.append(line)
            size += len(line.encode()) + 1
            nbytes += len(line.encode()) + 1
        _append(path, chunk)
        files += 1
    manifest["extra_rows"] = done + n
    return {"files": files, "bytes": nbytes, "rows": n}


def _append(path: Path, lines: list[str]) -> None:
    if lines:
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------- check
def check(out: Path) -> tuple[bool, str]:
    """Parse every document the way the ingest pipeline does, then every JSONL file; the first problem as
    FILE:LINE: problem."""
    from policygraph.errors import IngestError
    from policygraph.ingest.labelled import labelled_files, read_labelled
    from policygraph.ingest.loader import load_documents
    from policygraph.settings import Settings

    t = time.perf_counter()
    max_bytes = Settings().max_file_bytes
    try:
        docs = load_documents([out], max_bytes=max_bytes)
        t_docs = time.perf_counter() - t
        known = {r.id for d in docs for r in d.rules()}
        nrows = 0
        for f in labelled_files([out]):
            for n, row in read_labelled(f, max_bytes):
                if row.rule_id is not None and row.rule_id not in known:
                    raise IngestError(str(f), f"rule_id {row.rule_id!r} is not a rule of the corpus", n)
                nrows += 1
    except IngestError as exc:
        return False, f"check FAILED: {exc}"
    nrules = len(known)
    langs = sorted({lg for d in docs for lg in d.languages})
    return True, (f"check OK: {len(docs)} policies, {nrules} rules, languages {', '.join(langs)}, "
                  f"{sum(len(d.definitions) for d in docs)} definitions, {sum(len(d.examples) for d in docs)} "
                  f"front-matter examples, {nrows} JSONL rows — documents parsed in {t_docs:.1f} s, "
                  f"all in {time.perf_counter() - t:.1f} s")


# ---------------------------------------------------------------------------------------------- main
#: a rule id anywhere in a structural line (heading, attribute braces, front matter)
RULE_TOKEN = re.compile(r"\b([A-Z]{2,4})-(\d+)((?:\.\d+)*(?:-[A-Z0-9]+)?)\b")


def replica_rule_id(rule_id: str, k: int) -> str:
    """Copy k's name for a rule: its first number + 1000 k (`HB-1.2.3` -> `HB-3001.2.3` in copy 3)."""
    return RULE_TOKEN.sub(lambda m: f"{m[1]}-{int(m[2]) + 1000 * k}{m[3]}", rule_id)


def replicate_corpus(src: Path, dst: Path, k: int) -> dict[str, int]:
    """Write copy k of a generated corpus: every policy, rule and term renamed (policy and term ids get a
    `-cK` suffix, rules `replica_rule_id`), every text left exactly as it is, so each text's vector comes from
    the embedding cache. What a storage benchmark at 10x needs without 40 minutes of embedding; duplicate
    texts make retrieval harder than a real corpus of that size would (say so where numbers are shown).
    Rule ids written inside texts are left alone: they point at copy 0, which exists."""
    policy_ids = {m[1] for f in src.rglob("*.md") for m in [re.search(r"^id: (\S+)$", f.read_text(), re.M)] if m}
    term_ids: set[str] = set()
    for f in src.rglob("*.md"):
        term_ids.update(re.findall(r"^  - id: (\S+)$", f.read_text(), re.M))
    ident = re.compile(r"\b(" + "|".join(sorted(map(re.escape, policy_ids | term_ids), key=len, reverse=True)) + r")\b")

    def rename_ids(line: str) -> str:
        return RULE_TOKEN.sub(lambda m: replica_rule_id(m[0], k), ident.sub(lambda m: f"{m[1]}-c{k}", line))

    files = rows = 0
    for f in sorted(src.rglob("*")):
        if not f.is_file() or f.name.startswith("."):
            continue
        rel = f.relative_to(src)
        stem, _, ext = f.name.partition(".")
        out = dst / rel.parent / f"{stem}-c{k}.{ext}"
        out.parent.mkdir(parents=True, exist_ok=True)
        if f.suffix == ".jsonl":
            lines = []
            for line in f.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                if row.get("rule_id"):
                    row["rule_id"] = replica_rule_id(row["rule_id"], k)
                lines.append(json.dumps(row, ensure_ascii=False))
                rows += 1
            out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            text = f.read_text(encoding="utf-8").split("\n")
            fm_end = text.index("---", 1)
            for i, line in enumerate(text):
                structural = (i <= fm_end and not line.startswith("    ") and "text:" not in line
                              and "rationale:" not in line) or line.startswith("### ") or line.startswith("{")
                if line.startswith("### "):
                    head, _, title = line[4:].partition(" ")
                    text[i] = f"### {replica_rule_id(head, k)} {title}"
                elif structural:
                    text[i] = rename_ids(line)
            out.write_text("\n".join(text), encoding="utf-8")
        files += 1
    return {"files": files, "rows": rows}


def build(rules: int, languages: list[str], seed: int, examples_per_rule: int) -> Generator:
    gen = Generator(rules, languages, seed, examples_per_rule)
    gen.plan()
    gen.check_unique()
    gen.front_matter_examples()
    return gen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", type=int, required=True, help="total rules (e.g. 1000, 10000, 100000)")
    ap.add_argument("--examples-per-rule", type=int, default=10, help="labelled JSONL rows per rule (default 10)")
    ap.add_argument("--languages", default="en,es,de", help=f"comma-separated, from {', '.join(SUPPORTED)}")
    ap.add_argument("--out", required=True, help="output folder (created; must be empty unless --examples-only)")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--examples-only", type=int, metavar="N", default=None,
                    help="append N more rows over the policies of an existing --out (same --rules/--seed/--languages)")
    ap.add_argument("--check", action="store_true", help="parse the result with the loader and report any error")
    args = ap.parse_args()

    languages = [x.strip() for x in args.languages.split(",") if x.strip()]
    bad = [x for x in languages if x not in SUPPORTED]
    if bad or not languages or len(set(languages)) != len(languages):
        ap.error(f"--languages: {args.languages!r}; supported: {', '.join(SUPPORTED)}")
    if args.rules < 1:
        ap.error("--rules must be at least 1")
    out = Path(args.out)
    t0 = time.perf_counter()
    params = {"rules": args.rules, "languages": languages, "seed": args.seed,
              "examples_per_rule": args.examples_per_rule}
    if args.examples_only is not None:
        mpath = out / MANIFEST
        if not mpath.is_file():
            sys.exit(f"{out}: no {MANIFEST}; generate the corpus first")
        manifest = json.loads(mpath.read_text())
        if {k: manifest.get(k) for k in params} != params:
            sys.exit(f"{out} was generated with {({k: manifest.get(k) for k in params})}; pass the same options")
        gen = build(args.rules, languages, args.seed, args.examples_per_rule)
        res = append_examples(gen, out, args.examples_only, manifest)
        mpath.write_text(json.dumps(manifest, indent=1))
        print(f"appended {res['rows']:,} example rows over {len(gen.policies):,} policies "
              f"({res['files']:,} file writes, {res['bytes'] / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s; "
              f"extra rows now {manifest['extra_rows']:,}")
    else:
        if out.exists() and any(out.iterdir()):
            sys.exit(f"{out} is not empty")
        out.mkdir(parents=True, exist_ok=True)
        gen = build(args.rules, languages, args.seed, args.examples_per_rule)
        t_plan = time.perf_counter() - t0
        res = write_corpus(gen, out)
        (out / MANIFEST).write_text(json.dumps({**params, "extra_rows": 0}, indent=1))
        kinds: dict[str, int] = {}
        for p in gen.policies:
            for r in p.rules():
                kinds[r.kind] = kinds.get(r.kind, 0) + 1
        markets = {p.market for p in gen.policies}
        juris = {j for p in gen.policies for r in p.rules() for j in r.jurisdictions}
        s = gen.stats
        print(f"policies      {len(gen.policies):,} ({sum(p.market == 'GLOBAL' for p in gen.policies)} worldwide, "
              f"{len(markets) - ('GLOBAL' in markets)} markets, {len({p.category for p in gen.policies})} categories, "
              f"{len({p.surface for p in gen.policies})} surfaces)")
        print(f"rules         {args.rules:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))}); "
              f"overrides {s['overrides']:,} ({s['overrides_cross_policy']:,} cross-policy) in {len(juris)} "
              f"jurisdictions; exceptions {s['exceptions']:,} ({s['exceptions_cross_policy']:,} cross-policy)")
        print(f"references    {s['refs_in_text']:,} rule ids in text ({s['refs_cross_policy']:,} cross-policy), "
              f"{s['refers_to_attr']:,} refers_to attributes; {s['signals']:,} rules with signals; "
              f"{s['definitions']:,} definitions")
        print(f"translations  {res['translations']:,} files ({', '.join(languages)})")
        print(f"examples      {res['rows']:,} JSONL rows ({args.examples_per_rule}/rule) + "
              f"{s['fm_examples']:,} in front matter")
        print(f"files         {res['files']:,}, {res['bytes'] / 1e6:.1f} MB under {out}")
        print(f"seconds       {time.perf_counter() - t0:.1f} (composing {t_plan:.1f})")
    if args.check:
        ok, msg = check(out)
        print(msg)
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
