"""Customer-experience aspects: which aspects a comment talks about, each with the sentiment of its clause.

Curated keyword lexicons per aspect and language, comma-separated (a word ending in `*` matches any word it starts;
a space matches any whitespace). A text is cut into clauses at punctuation and at contrastive conjunctions ("fast
delivery but rude staff"), and an aspect takes the sentiment the model gives the clause(s) that mention it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ASPECTS = (
    "delivery",
    "price",
    "product_quality",
    "staff_service",
    "website_app",
    "payment",
    "support_response_time",
)

LEXICON: dict[str, dict[str, str]] = {
    "delivery": {
        "en": (
            "deliver*, shipping, shipped, shipment*, courier*, parcel*, package*, packaging, arrive*, "
            "arrival, dispatch*, tracking, postage"
        ),
        "id": (
            "kirim*, pengiriman, dikirim*, terkirim, kurir*, paket*, ekspedisi, ongkir, nyampe, jne, j&t, "
            "barang sampai, barangnya sampai, cepat sampai, lambat sampai, belum sampai, sudah sampai, "
            "jnt, sicepat, anteraja, gosend, packing*, pengemasan, dikemas, resi"
        ),
        "ms": (
            "hantar*, penghantaran, dihantar*, kurier, kurir*, pos laju, poslaju, parcel*, bungkus*, j&t, "
            "barang sampai, cepat sampai, lambat sampai, lewat sampai, tak sampai, dah sampai, "
            "ninja van, ninjavan, tracking"
        ),
        "ru": (
            "доставк*, доставл*, доставил*, достав*, курьер*, посылк*, отправк*, отправлени*, привез*, "
            "привоз*, почт*, трек*, упаковк*"
        ),
    },
    "price": {
        "en": (
            "price*, pricing, cost, costs, costly, expensive, cheap*, overpriced, affordable, fee, fees, "
            "discount*, promo*, tariff*, value for money"
        ),
        "id": "harga*, mahal*, murah*, ongkos, biaya, diskon*, promo*, potongan harga, tarif*, terjangkau, kemahalan",
        "ms": "harga*, mahal*, murah*, kos, caj, diskaun, promosi, promo*, tambang, tarif*, berbaloi, yuran",
        "ru": "цен*, стоимост*, дорого*, дороже, дешев*, тариф*, скидк*, переплат*, плата, платы, плату, расценк*",
    },
    "product_quality": {
        "en": (
            "quality, product, product's, products, item, items, material*, defect*, broken, damaged, "
            "durable, sturdy, flimsy, fake, genuine, counterfeit, faulty, food, taste*, tasty, flavor*, "
            "flavour*, meal*, dish, dishes, signal, network, connection, coverage"
        ),
        "id": (
            "kualitas, produk*, barang*, bahan*, rusak, cacat, awet, palsu, kw, jahitan, ukuran, makanan*, "
            "masakan*, mutu, berfungsi, sinyal, jaringan, koneksi"
        ),
        "ms": (
            "kualiti, produk*, barang*, bahan*, rosak, cacat, tahan lama, tiruan, palsu, saiz, makanan*, "
            "masakan*, mutu, berfungsi, liputan, rangkaian"
        ),
        "ru": (
            "качеств*, товар*, продукт*, брак*, бракован*, сломал*, подделк*, материал*, издели*, еда, еды, "
            "блюд*, вкус*, связь, связи, связью, интернет*, сеть, сети, сетью"
        ),
    },
    "staff_service": {
        "en": (
            "staff, employee*, waiter*, waitress*, cashier*, agent*, crew, attendant*, manager*, service, "
            "served, hospitality, seller*, salesperson*, customer service"
        ),
        "id": (
            "pelayanan, layanan, pelayan*, karyawan*, pegawai*, staf*, staff, kasir*, satpam, petugas*, "
            "penjual*, seller*, waiter*, pramugari*, admin*"
        ),
        "ms": (
            "perkhidmatan, layanan, pelayan*, pekerja*, kakitangan, staf*, staff, juruwang, petugas*, "
            "penjual*, seller*, waiter*, krew"
        ),
        "ru": (
            "персонал*, сотрудник*, менеджер*, консультант*, операционист*, кассир*, обслуживан*, "
            "обслужива*, продавц*, продавец, служащ*"
        ),
    },
    "website_app": {
        "en": (
            "website*, site, app, apps, online, login, log in, sign in, password*, interface, page*, "
            "browser, mobile banking, internet banking"
        ),
        "id": (
            "website, situs, web, aplikasi*, apk, app, apps, login, password, sandi, fitur*, m-banking, "
            "mbanking, internet banking, tampilan"
        ),
        "ms": (
            "laman web, laman, website, aplikasi*, app, apps, log masuk, login, kata laluan, sistem, server, "
            "ciri*, kemaskini, online"
        ),
        "ru": (
            "сайт*, приложени*, онлайн*, личн* кабинет*, интернет-банк*, мобильн* банк*, логин*, парол*, "
            "интерфейс*, обновлени*"
        ),
    },
    "payment": {
        "en": (
            "payment*, pay, paid, paying, card, cards, credit card, debit, transaction*, checkout, refund*, "
            "charged, billing, bill, bills, invoice*, cash, cod, paypal, transfer*, wallet"
        ),
        "id": (
            "bayar*, pembayaran, dibayar*, transfer*, kartu*, cod, tunai, saldo, ovo, gopay, shopeepay, "
            "refund*, tagihan*, cicilan, debit, transaksi*"
        ),
        "ms": (
            "bayar*, bayaran, pembayaran, kad, kad kredit, tunai, cod, transaksi*, bil, invois, refund*, "
            "bayaran balik, ewallet, e-wallet, duitnow, fpx"
        ),
        "ru": (
            "оплат*, платеж*, платёж*, карта, карты, карту, картой, карточк*, списа*, списыва*, транзакци*, "
            "счет, счета, счёт, возврат*, кэшбэк*, кешбэк*, комисси*"
        ),
    },
    "support_response_time": {
        "en": (
            "support, helpdesk, help desk, hotline, call center, call centre, callcenter, on hold, "
            "response*, respond*, reply, replied, replies, answer*, waiting, waited, wait time, queue, "
            "ticket*, chat, contacted"
        ),
        "id": (
            "respon*, balas*, dibalas, cs, customer service, call center, hotline, chat*, komplain*, "
            "keluhan, menunggu, tunggu*, nunggu*, tanggapan, ditanggapi"
        ),
        "ms": (
            "respon*, maklum balas, balas*, khidmat pelanggan, pusat panggilan, talian, hotline, aduan, "
            "chat*, tunggu*, menunggu"
        ),
        "ru": (
            "поддержк*, техподдержк*, горяч* лини*, колл-центр*, call-центр*, колцентр*, ответ*, отвеча*, "
            "ожидани*, жду, ждал*, ждать, дозвон*, обращени*, заявк*, чат*"
        ),
    },
}
# which lexicons apply to a text of each language: English loanwords are everywhere, Indonesian and Malay overlap
APPLIES = {"en": ("en",), "id": ("id", "ms", "en"), "ms": ("ms", "id", "en"), "ru": ("ru", "en")}

_CLAUSE = re.compile(
    r"[!?;\n]+|[.,](?!\d)|\s(?=(?:but|however|although|though|whereas|tapi|tetapi|namun|cuma|sayangnya|walaupun|"
    r"meskipun|padahal|но|а|однако|зато|хотя)\s)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AspectSentiment:
    """An aspect a text mentions, with the sentiment of the clauses that mention it."""

    aspect: str
    sentiment: str
    score: float


def _entry(phrase: str) -> str:
    """A lexicon entry as a regex: words joined by any whitespace, a trailing `*` on a word matches its endings."""
    return r"\s+".join(re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in phrase.split())


@lru_cache(maxsize=8)
def _patterns(language: str) -> dict[str, re.Pattern[str]]:
    """One regex per aspect for a text language, over the lexicons that apply to it (none for `und`)."""
    out: dict[str, re.Pattern[str]] = {}
    if language not in APPLIES:
        return out
    for aspect, by_lang in LEXICON.items():
        entries = sorted(
            {_entry(w.strip()) for lang in APPLIES.get(language, ()) for w in by_lang[lang].split(",")},
            key=len,
            reverse=True,
        )
        out[aspect] = re.compile(r"(?<![\w&-])(?:" + "|".join(entries) + r")(?![\w&-])", re.IGNORECASE)
    return out


def clauses(text: str) -> list[str]:
    """The clauses of a text: cut at punctuation and before contrastive conjunctions; empty pieces dropped."""
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


def mentions(text: str, language: str) -> list[tuple[str, str]]:
    """(aspect, passage) for each clause that mentions an aspect, in text order. A passage is the clause plus the
    clauses after it that mention no aspect ("payment failed, unacceptable"); clauses before the first mention
    join the first passage. Overlapping matches go to the longest ("barang sampai", goods arrived, is delivery,
    not the product's quality)."""
    pats = _patterns(language)
    found = [(clause, _aspects_in(clause, pats)) for clause in (clauses(text) if pats else [])]
    out: list[tuple[str, str]] = []
    lead: list[str] = []
    for i, (clause, aspects) in enumerate(found):
        if not aspects:
            if not out:
                lead.append(clause)
            continue
        tail = []
        for later, more in found[i + 1 :]:
            if more:
                break
            tail.append(later)
        passage = ", ".join([*lead, clause, *tail])
        lead = []
        out += [(a, passage) for a in aspects]
    return out


def _aspects_in(clause: str, pats: dict[str, re.Pattern[str]]) -> list[str]:
    """The aspects one clause mentions, in order of appearance; of overlapping matches the longest counts."""
    found = sorted(
        ((m.end() - m.start(), m.start(), m.end(), a) for a, p in pats.items() for m in p.finditer(clause)),
        reverse=True,
    )
    taken: list[tuple[int, int, str]] = []
    for _, start, end, aspect in found:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, aspect))
    return list(dict.fromkeys(a for _, _, a in sorted(taken)))


def combine(aspect: str, scored: list[tuple[str, float]]) -> AspectSentiment:
    """One aspect's sentiment over its clauses: the mean score; the label is the clauses' polarity when they agree
    (neutral clauses aside), else the sign of the mean."""
    mean = sum(s for _, s in scored) / len(scored)
    labels = [lab for lab, _ in scored]
    polar = [lab for lab in labels if lab != "neutral"]
    if not polar:
        label = "neutral"
    elif len(set(polar)) == 1:
        label = polar[0]
    else:
        label = "positive" if mean > 0 else "negative" if mean < 0 else "neutral"
    return AspectSentiment(aspect, label, round(mean, 3))


def format_aspects(aspects: list[AspectSentiment] | tuple[AspectSentiment, ...]) -> str:
    """'delivery:negative;price:positive' (the CSV column)."""
    return ";".join(f"{a.aspect}:{a.sentiment}" for a in aspects)
