"""Words the generator builds realistic cases from: English, Norwegian, Swedish and German (pure data)."""

from __future__ import annotations

FIRST_NAMES = {
    "en": ["Emma", "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Grace", "Leo"],
    "no": ["Ingrid", "Lars", "Solveig", "Håkon", "Kari", "Øystein", "Marit", "Bjørn", "Åse", "Eirik", "Sigrid"],
    "sv": ["Astrid", "Björn", "Elsa", "Göran", "Maja", "Åke", "Linnéa", "Sven", "Märta", "Oskar", "Saga"],
    "de": ["Jürgen", "Anna", "Lukas", "Sophie", "Maximilian", "Lea", "Jörg", "Mia", "Felix", "Lena", "Günther"],
}
LAST_NAMES = {
    "en": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker"],
    "no": ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Bråten"],
    "sv": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Öberg", "Lindström", "Åberg"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Groß"],
}
COMPANY_WORDS = {
    "en": ["Northwind", "Bluebird", "Acme", "Greenfield", "Riverside", "Summit", "Harbour", "Oakridge"],
    "no": ["Fjordkraft", "Nordlys", "Bergen Bygg", "Vestland Data", "Trøndelag Transport", "Ålesund Fisk"],
    "sv": ["Skånska Energi", "Norrland IT", "Göta Logistik", "Mälardalens Bygg", "Västkust Handel"],
    "de": ["Münchner Technik", "Rheinland Logistik", "Bäckerei Groß", "Nordsee Handel", "Schwarzwald Energie"],
}
COMPANY_SUFFIX = {"en": ["Ltd", "Inc", "Group"], "no": ["AS", "ASA"], "sv": ["AB"], "de": ["GmbH", "AG", "KG"]}
DOMAIN_TLD = {"en": "example.com", "no": "example.no", "sv": "example.se", "de": "example.de"}

PRODUCTS = ["Router X200", "Cloud Backup", "Invoice Portal", "Mobile App", "VPN Client", "Printer P5", "Webshop"]

TITLES = {
    "en": [
        "Cannot log in to {product}",
        "Invoice {order} charged twice",
        "{product} stopped working after the update",
        "Refund request for order {order}",
        "Password reset email never arrives",
        "Question about my subscription",
        "Slow response from {product}",
        "Error {code} when saving settings",
        "Delivery of order {order} is late",
        "How do I export my data from {product}?",
    ],
    "no": [
        "Får ikke logget inn i {product}",
        "Faktura {order} er belastet to ganger",
        "{product} virker ikke etter oppdateringen",
        "Ønsker refusjon for ordre {order}",
        "Mottar ikke e-post for nytt passord",
        "Spørsmål om abonnementet mitt",
        "Feilmelding {code} ved lagring",
        "Levering av ordre {order} er forsinket",
        "Hvordan eksporterer jeg data fra {product}?",
        "Skriveren på kontoret i Tromsø skriver ikke ut",
    ],
    "sv": [
        "Kan inte logga in i {product}",
        "Faktura {order} har dragits två gånger",
        "{product} slutade fungera efter uppdateringen",
        "Begäran om återbetalning för order {order}",
        "Får inget mejl för återställning av lösenord",
        "Fråga om mitt abonnemang",
        "Felmeddelande {code} när jag sparar",
        "Leveransen av order {order} är försenad",
        "Hur exporterar jag mina uppgifter från {product}?",
        "Skrivaren på kontoret i Göteborg fungerar inte",
    ],
    "de": [
        "Anmeldung bei {product} nicht möglich",
        "Rechnung {order} wurde doppelt abgebucht",
        "{product} funktioniert nach dem Update nicht mehr",
        "Rückerstattung für Bestellung {order}",
        "E-Mail zum Zurücksetzen des Passworts kommt nicht an",
        "Frage zu meinem Abonnement",
        "Fehlermeldung {code} beim Speichern",
        "Lieferung der Bestellung {order} verspätet sich",
        "Wie exportiere ich meine Daten aus {product}?",
        "Drucker im Büro in München druckt nicht",
    ],
}
OPENINGS = {
    "en": ["Hello,", "Hi there,", "Dear support team,", "Good morning,"],
    "no": ["Hei,", "Hei der,", "Kjære kundeservice,", "God morgen,"],
    "sv": ["Hej,", "Hej där,", "Bästa kundtjänst,", "God morgon,"],
    "de": ["Hallo,", "Guten Tag,", "Sehr geehrtes Support-Team,", "Moin,"],
}
CUSTOMER_LINES = {
    "en": [
        "since yesterday {product} shows error {code} every time I try to sign in.",
        "I was charged twice for order {order} and would like one payment refunded.",
        "the update last week broke the sync on all our laptops.",
        "we have tried restarting the device but nothing changes.",
        "could you tell me when the order will be delivered? We need it before Friday.",
        "this is urgent for us because the whole team is blocked.",
        "I attached a screenshot of the message we see.",
    ],
    "no": [
        "siden i går viser {product} feilmelding {code} hver gang jeg prøver å logge inn.",
        "jeg ble belastet to ganger for ordre {order} og ønsker at én betaling refunderes.",
        "oppdateringen forrige uke ødela synkroniseringen på alle våre bærbare maskiner.",
        "vi har prøvd å starte enheten på nytt, men ingenting endrer seg.",
        "kan dere si når bestillingen blir levert? Vi trenger den før fredag.",
        "dette haster for oss fordi hele teamet står fast.",
        "jeg la ved et skjermbilde av meldingen vi får.",
    ],
    "sv": [
        "sedan i går visar {product} felmeddelande {code} varje gång jag försöker logga in.",
        "jag har debiterats två gånger för order {order} och vill ha en betalning återbetald.",
        "uppdateringen förra veckan förstörde synkroniseringen på alla våra bärbara datorer.",
        "vi har försökt starta om enheten men ingenting händer.",
        "kan ni berätta när beställningen levereras? Vi behöver den före fredag.",
        "det här är brådskande eftersom hela teamet är blockerat.",
        "jag bifogade en skärmdump av meddelandet vi får.",
    ],
    "de": [
        "seit gestern zeigt {product} bei jeder Anmeldung den Fehler {code}.",
        "die Bestellung {order} wurde zweimal abgebucht, bitte erstatten Sie eine Zahlung.",
        "das Update letzte Woche hat die Synchronisierung auf allen Laptops zerstört.",
        "wir haben das Gerät neu gestartet, aber es ändert sich nichts.",
        "können Sie mir sagen, wann die Bestellung geliefert wird? Wir brauchen sie vor Freitag.",
        "das ist dringend, weil das ganze Team blockiert ist.",
        "ich habe einen Screenshot der Meldung angehängt.",
    ],
}
AGENT_LINES = {
    "en": [
        "thank you for reaching out. I have looked into order {order} and issued a refund.",
        "could you send us the exact time the error {code} appeared?",
        "we have released a fix for {product}; please update and let us know.",
        "I have forwarded this to our technical team and will get back to you shortly.",
        "the delivery has been rescheduled and should arrive within two working days.",
    ],
    "no": [
        "takk for at du tok kontakt. Jeg har sett på ordre {order} og refundert beløpet.",
        "kan du sende oss nøyaktig tidspunkt for feilmelding {code}?",
        "vi har lansert en rettelse for {product}; oppdater og gi oss beskjed.",
        "jeg har sendt dette videre til våre teknikere og kommer tilbake til deg snart.",
        "leveringen er flyttet og skal komme innen to virkedager.",
    ],
    "sv": [
        "tack för att du hörde av dig. Jag har tittat på order {order} och gjort en återbetalning.",
        "kan du skicka oss exakt när felmeddelandet {code} visades?",
        "vi har släppt en rättelse för {product}; uppdatera och hör av dig.",
        "jag har skickat vidare detta till vårt tekniska team och återkommer snart.",
        "leveransen har bokats om och bör komma inom två arbetsdagar.",
    ],
    "de": [
        "vielen Dank für Ihre Nachricht. Ich habe die Bestellung {order} geprüft und erstattet.",
        "können Sie uns den genauen Zeitpunkt des Fehlers {code} schicken?",
        "wir haben eine Korrektur für {product} veröffentlicht; bitte aktualisieren Sie.",
        "ich habe das an unser Technik-Team weitergeleitet und melde mich in Kürze.",
        "die Lieferung wurde neu geplant und sollte in zwei Werktagen eintreffen.",
    ],
}
NOTES = [
    "Checked the logs: error {code} comes from the billing sync.",
    "Customer is a key account, handle with care.",
    "Waiting for the warehouse to confirm the shipment of {order}.",
    "Same problem as last month; see the known issue for {product}.",
]
CLOSINGS = {
    "en": ["Best regards,", "Thanks,", "Kind regards,"],
    "no": ["Med vennlig hilsen,", "Takk,", "Hilsen"],
    "sv": ["Med vänliga hälsningar,", "Tack,", "Hälsningar"],
    "de": ["Mit freundlichen Grüßen,", "Danke,", "Viele Grüße,"],
}
TAGS = [
    "billing", "refund", "login", "password", "bug", "feature-request", "delivery", "vip", "outage",
    "printer", "vpn", "mobile", "invoice", "subscription", "export", "urgent-customer", "api", "sso",
    "network", "hardware", "onboarding", "cancellation", "duplicate-charge", "data-export", "gdpr",
]  # fmt: skip
GROUPS = ["Support", "Billing", "Technical", "Sales", "Norge", "Sverige", "Deutschland"]
AGENT_NAMES = [
    "Alex Morgan", "Kari Nordmann", "Erik Lund", "Sofia Berg", "Jonas Keller", "Nora Dahl", "Liam Carter",
    "Elin Sandberg", "Marie Hoffmann", "Ole Brenna", "Ida Holm", "Tobias Braun", "Hanna Lie", "Mats Ek",
    "Clara Vogel", "Sindre Moe", "Frida Nyström", "Paul Zimmermann", "Tuva Aas", "Oscar Wright",
]  # fmt: skip
