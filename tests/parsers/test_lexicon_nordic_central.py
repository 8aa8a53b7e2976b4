"""The lexicons of Swedish, Danish, Norwegian, Finnish, Czech, Romanian, Hungarian and Greek, read through
the generic layer as their carriers' and shops' notifications word them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartreturn.model import EventKind, Money
from smartreturn.parsers.generic import read
from tests.parsers.carrier_mail import mail, run

SHOP = "noreply@shop.example"
K = EventKind

# per language: subjects and the event they announce (the body gives an order number only)
STATUS: dict[str, list[tuple[str, EventKind]]] = {
    "sv": [
        ("Din order har skickats", K.SHIPPED),
        ("Ditt paket har levererats", K.DELIVERED),
        ("Ditt paket levereras idag", K.OUT_FOR_DELIVERY),
        ("Ditt paket kan hämtas hos ditt ombud", K.PICKUP_READY),
        ("Ditt paket finns att hämta ut hos ditt ombud", K.PICKUP_READY),
        ("Vi har tagit emot din retur", K.RETURN_RECEIVED),
        ("Din återbetalning har genomförts", K.REFUND_ISSUED),
        ("Tack för din beställning", K.ORDER_PLACED),
        ("Din order har makulerats", K.CANCELLED),
        ("Vi kunde inte leverera ditt paket", K.DELIVERY_EXCEPTION),
    ],
    "da": [
        ("Din ordre er afsendt", K.SHIPPED),
        ("Din pakke er leveret", K.DELIVERED),
        ("Din pakke leveres i dag", K.OUT_FOR_DELIVERY),
        ("Din pakke er klar til afhentning", K.PICKUP_READY),
        ("Vi har modtaget din returnering", K.RETURN_RECEIVED),
        ("Vi har refunderet dit køb", K.REFUND_ISSUED),
        ("Tak for din ordre", K.ORDER_PLACED),
        ("Din ordre er annulleret", K.CANCELLED),
        ("Din pakke vil blive leveret i morgen", K.SHIPPED),
    ],
    "nb": [
        ("Ordren din er sendt", K.SHIPPED),
        ("Pakken din er levert", K.DELIVERED),
        ("Pakken din leveres i dag", K.OUT_FOR_DELIVERY),
        ("Pakken din er klar til henting", K.PICKUP_READY),
        ("Vi har mottatt returen din", K.RETURN_RECEIVED),
        ("Refusjon for ordre 55501234", K.REFUND_ISSUED),
        ("Takk for bestillingen din", K.ORDER_PLACED),
        ("Ordren din er kansellert", K.CANCELLED),
        ("Sendingen er returnert til avsender", K.DELIVERY_EXCEPTION),
    ],
    "fi": [
        ("Tilauksesi on lähetetty", K.SHIPPED),
        ("Pakettisi on toimitettu", K.DELIVERED),
        ("Lähetyksesi on jakelussa", K.OUT_FOR_DELIVERY),
        ("Lähetyksesi on noudettavissa", K.PICKUP_READY),
        ("Lähetys on toimitettu noutopisteeseen", K.PICKUP_READY),
        ("Olemme vastaanottaneet palautuksesi", K.RETURN_RECEIVED),
        ("Olemme hyvittäneet tilauksesi", K.REFUND_ISSUED),
        ("Kiitos tilauksestasi", K.ORDER_PLACED),
        ("Tilauksesi on peruttu", K.CANCELLED),
    ],
    "cs": [
        ("Vaše objednávka byla odeslána", K.SHIPPED),
        ("Váš balík byl odeslán", K.SHIPPED),
        ("Zboží bylo expedováno", K.SHIPPED),
        ("Vaše zásilka byla doručena", K.DELIVERED),
        ("Zásilku dnes doručíme", K.OUT_FOR_DELIVERY),
        ("Zásilka je připravena k vyzvednutí", K.PICKUP_READY),
        ("Zasilka je pripravena k vyzvednuti", K.PICKUP_READY),  # an SMS without diacritics
        ("Zasilka byla dorucena", K.DELIVERED),
        ("Přijali jsme vaši vratku", K.RETURN_RECEIVED),
        ("Vrátili jsme vám peníze", K.REFUND_ISSUED),
        ("Děkujeme za objednávku", K.ORDER_PLACED),
        ("Objednávka byla zrušena", K.CANCELLED),
    ],
    "ro": [
        ("Comanda ta a fost expediată", K.SHIPPED),
        ("Comanda ta a fost expediata", K.SHIPPED),
        ("Coletul tău a fost livrat", K.DELIVERED),
        ("Coletul este în livrare", K.OUT_FOR_DELIVERY),
        ("Coletul tău te așteaptă în easybox", K.PICKUP_READY),
        ("Coletul tau te asteapta in easybox", K.PICKUP_READY),
        ("Coletul tău a ajuns în SAMEDAY point", K.PICKUP_READY),
        ("Am primit returul tău", K.RETURN_RECEIVED),
        ("Rambursarea a fost efectuată", K.REFUND_ISSUED),
        ("Mulțumim pentru comanda ta", K.ORDER_PLACED),
        ("Comanda ta a fost anulată", K.CANCELLED),
    ],
    "hu": [
        ("Csomagodat feladtuk", K.SHIPPED),
        ("A csomagod kézbesítve", K.DELIVERED),
        ("Ma kézbesítjük a csomagodat", K.OUT_FOR_DELIVERY),
        ("A csomagod átvehető", K.PICKUP_READY),
        ("Megérkezett a csomagod", K.PICKUP_READY),
        ("Megkaptuk a visszaküldött terméket", K.RETURN_RECEIVED),
        ("Visszautaltuk a vételárat", K.REFUND_ISSUED),
        ("Köszönjük a rendelésed", K.ORDER_PLACED),
        ("A rendelésed töröltük", K.CANCELLED),
    ],
    "el": [
        ("Η παραγγελία σας απεστάλη", K.SHIPPED),
        ("Το δέμα σας παραδόθηκε", K.DELIVERED),
        ("Η αποστολή σας βρίσκεται σε διανομή", K.OUT_FOR_DELIVERY),
        ("Το δέμα σας είναι διαθέσιμο για παραλαβή", K.PICKUP_READY),
        ("Λάβαμε την επιστροφή σας", K.RETURN_RECEIVED),
        ("Επιστροφή χρημάτων για την παραγγελία σας", K.REFUND_ISSUED),
        ("Ευχαριστούμε για την παραγγελία σας", K.ORDER_PLACED),
        ("Η παραγγελία σας ακυρώθηκε", K.CANCELLED),
    ],
}
# per language: (sender, subject, body, order number, total)
ORDERS: dict[str, list[tuple[str, str, str, str, Money]]] = {
    "sv": [("order@butik.se", "Orderbekräftelse", "Tack för din beställning!\nOrdernummer: 10023456\nTotalt: 1 299,00 kr\n",
            "10023456", Money(Decimal("1299.00"), "SEK"))],
    "da": [("ordre@butik.dk", "Ordrebekræftelse", "Tak for din ordre\nOrdrenummer: 4402311\nTotal inkl. moms: 1.299,00 kr.\n",
            "4402311", Money(Decimal("1299.00"), "DKK"))],
    "nb": [("ordre@butikk.no", "Ordrebekreftelse", "Takk for bestillingen din!\nOrdrenummer: 7712034\nTotalt: 2 499,00 kr\n",
            "7712034", Money(Decimal("2499.00"), "NOK"))],
    "fi": [("tilaukset@kauppa.fi", "Tilausvahvistus", "Kiitos tilauksestasi!\nTilausnumero: 30056789\nYhteensä: 1 299,90 €\n",
            "30056789", Money(Decimal("1299.90"), "EUR"))],
    "cs": [("objednavky@obchod.cz", "Potvrzení objednávky", "Děkujeme za objednávku.\nČíslo objednávky: 212345678\n"
            "Celkem k úhradě: 1 299,00 Kč\n", "212345678", Money(Decimal("1299.00"), "CZK"))],
    "ro": [("comenzi@magazin.ro", "Comanda ta a fost înregistrată", "Mulțumim pentru comanda ta!\nNumăr comandă: 405123456\n"
            "Total de plată: 1.299,99 lei\n", "405123456", Money(Decimal("1299.99"), "RON"))],
    "hu": [("rendeles@bolt.hu", "Rendelés visszaigazolása", "Köszönjük a rendelésed!\nRendelésszám: 98765432\n"
            "Fizetendő összeg: 12 990 Ft\n", "98765432", Money(Decimal("12990"), "HUF"))],
    "el": [("orders@katastima.gr", "Επιβεβαίωση παραγγελίας", "Ευχαριστούμε για την παραγγελία σας!\n"
            "Αριθμός παραγγελίας: 5551234\nΣύνολο: 49,90 €\n", "5551234", Money(Decimal("49.90"), "EUR"))],
}
# per language: (carrier sender, subject, body, the labelled number, the event)
TRACKING: dict[str, list[tuple[str, str, str, str, EventKind]]] = {
    "sv": [("noreply@postnord.se", "Ditt paket är på väg", "Hej!\nDitt paket från Butiken är på väg.\nKollinummer: 00370726201234567\n",
            "00370726201234567", K.SHIPPED)],
    "da": [("noreply@postnord.dk", "Din pakke er på vej", "Din pakke er på vej.\nPakkenummer: 00370726209876543\n",
            "00370726209876543", K.SHIPPED)],
    "nb": [("noreply@bring.no", "Pakken din er klar til henting", "Pakken kan hentes på Kiwi Majorstuen.\n"
            "Sendingsnummer: 70438101234567890\nHentekode: 4711\n", "70438101234567890", K.PICKUP_READY)],
    "fi": [("noreply@posti.fi", "Pakettisi on noudettavissa", "Lähetyksesi on noudettavissa.\nLähetystunnus: JJFI64000712345678\n"
            "Noutokoodi: 123456\n", "JJFI64000712345678", K.PICKUP_READY)],
    "cs": [("info@ppl.cz", "Zásilka byla doručena", "Dobrý den,\nzásilka byla doručena.\nČíslo zásilky: 40123456789\n",
            "40123456789", K.DELIVERED),
           ("info@zasilkovna.cz", "Zasilka je pripravena k vyzvednuti", "Zasilka c. Z 1234567890 je pripravena k vyzvednuti.\n"
            "Cislo zasilky: 1234567890\nHeslo: 4711\n", "1234567890", K.PICKUP_READY)],
    "ro": [("notificari@sameday.ro", "Coletul tău este în livrare", "Coletul tău este în livrare astăzi.\nAWB: 1ONB24123456789\n",
            "1ONB24123456789", K.OUT_FOR_DELIVERY)],
    "hu": [("ertesites@posta.hu", "A küldeménye átvehető", "Küldeményazonosító: JJH30A12345678\nA küldemény átvehető a postán.\n",
            "JJH30A12345678", K.PICKUP_READY)],
    "el": [("info@acscourier.net", "Η αποστολή σας βρίσκεται σε διανομή", "Αριθμός αποστολής: 7401234567\n",
            "7401234567", K.OUT_FOR_DELIVERY)],
}
# per language: bodies that name a refund or a delivery without it having happened
NOT_DONE: dict[str, list[tuple[str, EventKind]]] = {
    "sv": [("Återbetalningen har inte genomförts ännu.", K.REFUND_ISSUED),
           ("Återbetalningen görs när vi har tagit emot din retur.", K.REFUND_ISSUED),
           ("Paketet är inte levererat.", K.DELIVERED)],
    "da": [("Vi har ikke refunderet beløbet endnu.", K.REFUND_ISSUED),
           ("Beløbet vil blive refunderet inden for 5 dage.", K.REFUND_ISSUED),
           ("Pakken er ikke blevet leveret.", K.DELIVERED)],
    "nb": [("Refusjon er ikke utbetalt ennå.", K.REFUND_ISSUED),
           ("Pakken er ikke levert.", K.DELIVERED)],
    "fi": [("Hyvitys maksetaan, kun olemme vastaanottaneet palautuksesi.", K.REFUND_ISSUED),
           ("Onko palautus vastaanotettu?", K.RETURN_RECEIVED)],
    "cs": [("Refundace bude provedena do 14 dnů.", K.REFUND_ISSUED),
           ("Vrácení peněz proběhne, jakmile obdržíme zboží.", K.REFUND_ISSUED),
           ("Zásilka nemohla být doručena.", K.DELIVERED)],
    "ro": [("Rambursarea nu a fost efectuată.", K.REFUND_ISSUED),
           ("Rambursarea va fi efectuată după ce primim produsul.", K.REFUND_ISSUED),
           ("Coletul nu a fost livrat.", K.DELIVERED)],
    "hu": [("A visszatérítés folyamatban van.", K.REFUND_ISSUED),
           ("A csomag nincs kézbesítve.", K.DELIVERED)],
    "el": [("Η επιστροφή χρημάτων θα γίνει μόλις παραλάβουμε το προϊόν.", K.REFUND_ISSUED),
           ("Δεν έγινε επιστροφή χρημάτων.", K.REFUND_ISSUED)],
}


def _rows(table: dict[str, list]) -> list:
    return [pytest.param(*row, id=f"{lang}-{i}") for lang, rows in table.items() for i, row in enumerate(rows)]


@pytest.mark.parametrize(("subject", "kind"), _rows(STATUS))
def test_the_status_a_subject_announces(subject: str, kind: EventKind) -> None:
    assert read(mail(SHOP, subject, "Order number: 55501234\n")).kind is kind


@pytest.mark.parametrize(("sender", "subject", "body", "order", "total"), _rows(ORDERS))
def test_an_order_confirmation_gives_its_number_and_total(sender: str, subject: str, body: str, order: str,
                                                          total: Money) -> None:
    reading = read(mail(sender, subject, body))
    assert (reading.kind, reading.order_number, reading.amount) == (EventKind.ORDER_PLACED, order, total)


@pytest.mark.parametrize(("sender", "subject", "body", "number", "kind"), _rows(TRACKING))
def test_a_carriers_labelled_number(sender: str, subject: str, body: str, number: str, kind: EventKind) -> None:
    parser, events = run(mail(sender, subject, body))
    assert parser == "generic"
    assert [(e.kind, [t.number for t in e.tracking]) for e in events] == [(kind, [number])]


@pytest.mark.parametrize(("body", "kind"), _rows(NOT_DONE))
def test_a_denied_or_pending_status_is_not_read(body: str, kind: EventKind) -> None:
    assert read(mail(SHOP, "Information", body + "\nOrder number: 55501234\n")).kind is not kind


@pytest.mark.parametrize(("subject", "body"), [
    ("VS: Laskusi", "Lähettäjä: Kauppa <info@kauppa.fi>\nLähetetty: maanantai 25. marraskuuta 2026 12.00\nAihe: Laskusi\n"
                    "Tilausnumero: 30056789\n\nLähetetty iPhonesta"),
    ("FW: Faktura", "Od: Obchod <info@obchod.cz>\nOdesláno: pondělí 25. listopadu 2026 12:00\nPředmět: Faktura\n"
                    "Číslo objednávky: 212345678\n\nOdesláno z iPhonu"),
    ("Fwd: Τιμολόγιο", "Από: Κατάστημα <info@katastima.gr>\nΣτάλθηκε: Δευτέρα, 25 Νοεμβρίου 2026 12:00\n"
                       "Θέμα: Τιμολόγιο\nΑριθμός παραγγελίας: 5551234\n"),
])
def test_the_sent_line_of_a_forward_or_a_phone_signature_is_no_shipping(subject: str, body: str) -> None:
    """Outlook writes "Sent:" as "Lähetetty:", "Odesláno:", "Στάλθηκε:"; phones sign "Lähetetty iPhonesta"."""
    assert read(mail(SHOP, subject, body)).kind is None
