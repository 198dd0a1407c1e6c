"""A seeded, deterministic generator of the demo workspace of *Nusantara Shop*, an online shop.

The shop sells in Indonesia, Malaysia, Russia and English-speaking markets. `generate` simulates a year of customer
journeys and returns one Arrow table per warehouse fact table (exact schemas, see `suara.store.warehouse.FACTS`):

- customers and their traits (segment, plan, country, language, signup date), a few re-identified later;
- orders with heterogeneous Poisson repeat purchasing and BG/NBD dropout (after each purchase a customer may leave
  for good, more often after a bad delivery), lognormal amounts in local currency, a delivery partner, a delivery
  outcome (on time or late), damaged parcels, payment errors and support tickets;
- behavioural events along each journey (visits with page load times, browsing, checkout, delivery, tickets), timed
  tasks (checkout, order tracking, address changes) with their errors, and visits between orders;
- NPS after delivery (with optional 1-5 follow-ups: expectations met, buying again), CES after checkout and CSAT after
  support, whose scores follow what happened, with comments in English, Indonesian, Malay and Russian that fit the
  score and its cause;
- store reviews (App Store, Google Play, Trustpilot) and the text of support tickets.

The planted story (`PLANTED_STORY`): the delivery partner NusaCargo gets much worse for 30 days starting 75 days
before the last day, its late-delivery rate rising from 8% to 45%, so NPS after its deliveries drops sharply and
late-delivery complaints rise, then recovers.

Everything comes from one `numpy.random.default_rng(seed)` drawn in a fixed order, so a seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import pyarrow as pa

from suara.store.warehouse import to_arrow

__all__ = ["DEFAULT_END", "PLANTED_STORY", "PlantedStory", "generate", "planted_window"]

Array = np.ndarray[Any, Any]

MINUTE = 60_000_000  # microseconds: every instant below is int64 microseconds since the epoch, naive UTC
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EPOCH = dt.date(1970, 1, 1)
DEFAULT_END = dt.date(2026, 10, 31)

# -- the planted story ----------------------------------------------------------------------------------------------
INCIDENT_PARTNER = "NusaCargo"
INCIDENT_OFFSET_DAYS = 75  # the incident starts this many days before `end`
INCIDENT_LENGTH_DAYS = 30
INCIDENT_LATE_RATE = 0.45
# Parcels due from this many days before the start are caught too, so the late deliveries (and the surveys after
# them) land in the month rather than spilling into the weeks after it.
INCIDENT_LEAD_DAYS = 3


class PlantedStory(TypedDict):
    partner: str
    start: dt.date  # first day of the incident
    end: dt.date  # first day after it (exclusive)
    late_rate_before: float
    late_rate_during: float
    summary: str


def planted_window(end: dt.date = DEFAULT_END) -> tuple[dt.date, dt.date]:
    """The incident's first day and the first day after it, for a workspace whose last day is `end`."""
    start = end - dt.timedelta(days=INCIDENT_OFFSET_DAYS)
    return start, start + dt.timedelta(days=INCIDENT_LENGTH_DAYS)


PLANTED_STORY: PlantedStory = {
    "partner": INCIDENT_PARTNER,
    "start": planted_window()[0],
    "end": planted_window()[1],
    "late_rate_before": 0.08,
    "late_rate_during": INCIDENT_LATE_RATE,
    "summary": "NusaCargo's late deliveries jump from 8% to 45% for 30 days, so NPS after its deliveries drops "
    "sharply and late-delivery complaints rise; then it recovers.",
}

# -- customers -------------------------------------------------------------------------------------------------------
SEGMENTS = ("new", "regular", "vip", "at_risk", "business")
SEGMENT_WEIGHTS = (0.22, 0.42, 0.08, 0.13, 0.15)
SEGMENT_ORDERS_PER_YEAR = (4.5, 7.0, 15.0, 3.0, 10.0)
SEGMENT_SPEND = (0.0, 0.1, 0.45, -0.1, 0.9)  # log-shift of the order amount
SEGMENT_MOOD = (0.2, 0.0, 0.5, -0.9, -0.3)  # shift of the score baseline: at-risk customers are harder to please
# BG/NBD's dropout: after each purchase a customer leaves for good with their own probability, beta-distributed
# around a mean per segment; a bad experience (a latent score below DROPOUT_MOOD) raises the odds of leaving.
SEGMENT_DROPOUT = (0.08, 0.04, 0.02, 0.10, 0.03)
DROPOUT_SPREAD = 6.0  # beta a + b: the lower, the more customers of a segment differ
DROPOUT_MOOD, DROPOUT_ODDS_PER_POINT = 7.0, 0.5
# Churned customers still come back to look for a while (tracking, a last browse), then stop.
LINGER_DAYS = 21
# A later identify call moves a few customers to another segment (rows: from, columns: to).
SEGMENT_MOVES = np.array([
    [0, 0.8, 0, 0.2, 0], [0, 0, 0.35, 0.65, 0], [0, 0.6, 0, 0.4, 0], [0, 1.0, 0, 0, 0], [0, 0, 1.0, 0, 0],
])
SEGMENT_MOVE_SHARE = 0.05
PLANS = ("free", "plus", "premium")
PLAN_WEIGHTS = np.array([  # per segment: VIPs and businesses pay more often
    [0.75, 0.20, 0.05], [0.55, 0.32, 0.13], [0.20, 0.40, 0.40], [0.65, 0.27, 0.08], [0.25, 0.35, 0.40],
])
PLAN_MOOD = (0.0, 0.15, 0.35)
COUNTRIES = ("ID", "MY", "RU", "SG", "US", "GB", "AU")
COUNTRY_WEIGHTS = (0.40, 0.18, 0.14, 0.08, 0.10, 0.06, 0.04)
COUNTRY_UTC_OFFSET = (7, 8, 3, 8, -5, 0, 10)  # hours, to place local shopping hours in UTC
COUNTRY_MOBILE = (0.82, 0.78, 0.62, 0.70, 0.55, 0.55, 0.58)  # share of sessions on a phone
COUNTRY_IOS = (0.15, 0.22, 0.30, 0.55, 0.55, 0.50, 0.55)  # share of phone reviews in the App Store
CURRENCIES = ("IDR", "MYR", "RUB", "SGD", "USD", "GBP", "AUD")
USD_RATE = (16_300.0, 4.45, 92.0, 1.33, 1.0, 0.78, 1.54)
CURRENCY_DECIMALS = (-2, 2, 0, 2, 2, 2, 2)  # rupiah prices end in hundreds
PROMISED_DAYS = (3, 3, 5, 2, 4, 3, 5)
LANGS = ("en", "id", "ms", "ru")
LANG_OF_COUNTRY = (1, 2, 3, 0, 0, 0, 0)
MALAYSIANS_IN_ENGLISH = 0.15

# -- orders ----------------------------------------------------------------------------------------------------------
PARTNERS = ("KilatExpress", "NusaCargo", "RapidPost")
PARTNER_MIX = np.array([  # per country: NusaCargo is strongest in the archipelago
    [0.40, 0.45, 0.15], [0.35, 0.40, 0.25], [0.45, 0.20, 0.35], [0.40, 0.25, 0.35],
    [0.40, 0.25, 0.35], [0.40, 0.25, 0.35], [0.40, 0.25, 0.35],
])
PARTNER_LATE = (0.07, 0.08, 0.10)
PARTNER_DAMAGE = (0.015, 0.02, 0.03)
PEAK_LATE_BUMP = 0.05  # every partner is a bit late in the week after the 11.11 and 12.12 sales
NUSA = PARTNERS.index(INCIDENT_PARTNER)
# Local shopping hours: lunch and evening peaks.
HOUR_WEIGHTS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 4, 4.5, 5, 4.5, 4, 4, 4.5, 5, 5.5, 6.5, 7, 6.5, 4.5, 2.5)
PRODUCTS = (  # slug, category
    ("rice-cooker", "kitchen"), ("phone-case", "electronics"), ("backpack", "bags"), ("blender", "kitchen"),
    ("batik-shirt", "fashion"), ("skincare-set", "beauty"), ("coffee-grinder", "kitchen"),
    ("desk-lamp", "home"), ("smartwatch", "electronics"), ("kettle", "kitchen"),
)
PAYMENT_ERRORS = ("card_declined", "3ds_timeout", "gateway_error", "ewallet_unavailable")

# -- support tickets -------------------------------------------------------------------------------------------------
CARE_TEAM = ("Sari", "Budi", "Aisyah")  # the help desk agents, the same people as the demo workspace's care team
CARE_TEAM_SHARE = (0.45, 0.35, 0.2)
TOPICS = ("late_delivery", "damaged_parcel", "payment_error", "order_change")
TOPIC_LATE, TOPIC_DAMAGED, TOPIC_PAYMENT, TOPIC_CHANGE = range(4)

# -- comments --------------------------------------------------------------------------------------------------------
CAUSES = (
    "late_delivery", "damaged_parcel", "payment_error", "slow_site", "helpful_support", "slow_support",
    "good_price", "great_product", "easy_checkout",
)
(LATE, DAMAGED, PAYERR, SLOW_SITE, HELPFUL_SUPPORT, SLOW_SUPPORT, GOOD_PRICE, GREAT_PRODUCT, EASY_CHECKOUT) = range(9)
CAUSE_TOUCHPOINT = ("delivery", "delivery", "checkout", "checkout", "support", "support", "product", "product",
                    "checkout")
NEG, POS = 0, 1

# Phrase banks per language, then per cause: (negative phrases, positive phrases). Placeholders: {product},
# {partner}, {days}. Positive phrases of a bad cause are what a still-happy customer writes about it.
COMMENTS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "en": {
        "late_delivery": (
            ("My order arrived {days} late and the tracking didn't update for days.",
             "{partner} delivered {days} after the promised date. Not acceptable.",
             "Delivery was late again, {days} behind schedule, and nobody told me why.",
             "Waited {days} longer than promised for my {product}. Really annoying.",
             "Tracking said 'in transit' for {days}, {partner} needs to sort this out."),
            ("The parcel came {days} late, but the {product} itself is great.",
             "A bit of a delay with {partner}, otherwise everything was fine."),
        ),
        "damaged_parcel": (
            ("The box was crushed and the {product} inside was damaged.",
             "My {product} arrived broken. The packaging was really poor."),
            ("The box was a bit dented, but the {product} was fine and the replacement came quickly.",
             "Packaging got damaged in transit, luckily nothing inside broke."),
        ),
        "payment_error": (
            ("Payment failed twice before it went through. I almost gave up.",
             "My card was declined at checkout for no reason, very frustrating."),
            ("Had a payment error at first, but the second try worked fine.",),
        ),
        "slow_site": (
            ("The app is so slow, pages take forever to load.",
             "Checkout kept freezing on my phone, it took ages to place the order.",
             "Search results take ages to load in the app."),
            ("The site was a little slow today, but I managed to order the {product}.",),
        ),
        "helpful_support": (
            ("The agent was polite, but my issue still isn't really solved.",),
            ("Support sorted out my problem within an hour, very helpful.",
             "The support agent was friendly and fixed everything quickly.",
             "Support replied fast and even gave me a voucher for the trouble."),
        ),
        "slow_support": (
            ("Waited two days for support to reply. Way too slow.",
             "I had to chase support three times before anyone answered.",
             "Support kept sending copy-paste answers, it took forever to fix."),
            ("Support took a while to get back to me, but they solved it in the end.",),
        ),
        "good_price": (
            ("Prices have gone up, I found the {product} cheaper elsewhere.",
             "Shipping fees are too high for small orders."),
            ("Great prices, cheaper than other shops for the same {product}.",
             "Good value for money, and the vouchers really help.",
             "Got the {product} on sale here, the best deal around."),
        ),
        "great_product": (
            ("The {product} doesn't look like the photos, the quality is disappointing.",
             "The {product} stopped working after a week.",
             "The {product} feels cheap, not worth the money."),
            ("Love the {product}, excellent quality.",
             "The {product} is exactly as described, really happy with it.",
             "Really good {product}, works perfectly."),
        ),
        "easy_checkout": (
            ("Checkout is confusing, too many steps to pay.",
             "The voucher code wouldn't apply at checkout, annoying."),
            ("Checkout was quick and easy, done in a minute.",
             "Super easy to pay, I love the one-click checkout.",
             "Paying with my e-wallet was smooth and fast."),
        ),
    },
    "id": {
        "late_delivery": (
            ("Pesanan saya telat {days}, tracking-nya juga nggak update.",
             "Kurir {partner} telat {days} dari estimasi. Kecewa banget.",
             "Paketnya terlambat lagi, sudah {days} lewat dari jadwal dan nggak ada kabar.",
             "Nunggu {product} sampai {days} lebih lama dari janji. Nyebelin.",
             "Status paket 'sedang dikirim' terus selama {days}, {partner} tolong dibenahi."),
            ("Paketnya telat {days}, tapi {product}-nya bagus.",
             "Pengiriman {partner} agak lambat, selebihnya oke."),
        ),
        "damaged_parcel": (
            ("Kardusnya penyok dan {product} di dalamnya rusak.",
             "Barang sampai dalam keadaan rusak, packingnya asal-asalan banget."),
            ("Kardusnya sedikit penyok, tapi {product} aman dan penggantiannya cepat.",
             "Packing agak rusak di jalan, untung isinya aman."),
        ),
        "payment_error": (
            ("Pembayaran gagal dua kali baru bisa masuk. Hampir batal beli.",
             "Bayar pakai kartu ditolak terus tanpa alasan, bikin kesal."),
            ("Sempat gagal bayar, tapi percobaan kedua lancar.",),
        ),
        "slow_site": (
            ("Aplikasinya lemot banget, halamannya lama sekali loading-nya.",
             "Checkout sering nge-freeze di HP, lama banget buat pesan.",
             "Hasil pencarian di aplikasi lama banget munculnya."),
            ("Aplikasinya agak lemot hari ini, tapi akhirnya bisa pesan {product}.",),
        ),
        "helpful_support": (
            ("CS-nya sopan, tapi masalah saya belum benar-benar selesai.",),
            ("CS-nya bantu selesaikan masalah saya kurang dari sejam, mantap.",
             "Agen CS ramah dan cepat tanggap, terima kasih.",
             "CS cepat balas, malah dikasih voucher sebagai permintaan maaf."),
        ),
        "slow_support": (
            ("Nunggu balasan CS sampai dua hari. Lambat banget.",
             "Harus follow up ke CS tiga kali baru dibalas.",
             "Jawaban CS cuma copy-paste, lama banget selesainya."),
            ("CS-nya agak lama balas, tapi akhirnya masalah beres.",),
        ),
        "good_price": (
            ("Harganya naik, {product} di toko lain lebih murah.",
             "Ongkirnya terlalu mahal untuk pesanan kecil."),
            ("Harganya murah, lebih hemat dibanding toko lain untuk {product} yang sama.",
             "Harga bersahabat, vouchernya juga sangat membantu.",
             "Dapat {product} pas promo, harganya paling murah."),
        ),
        "great_product": (
            ("Barang nggak sesuai foto, kualitas {product}-nya mengecewakan.",
             "Baru seminggu {product}-nya sudah rusak.",
             "Kualitas {product}-nya murahan, nggak sepadan sama harganya."),
            ("Suka banget sama {product}-nya, kualitasnya oke.",
             "Barang sesuai deskripsi, puas banget sama {product}-nya.",
             "Kualitas {product}-nya bagus, berfungsi dengan baik."),
        ),
        "easy_checkout": (
            ("Proses checkout ribet, terlalu banyak langkah.",
             "Kode voucher nggak bisa dipakai pas checkout, nyebelin."),
            ("Checkout-nya cepat dan gampang, semenit beres.",
             "Bayarnya gampang banget, praktis.",
             "Bayar pakai e-wallet lancar dan cepat."),
        ),
    },
    "ms": {
        "late_delivery": (
            ("Pesanan saya lewat {days}, tracking pun tak dikemas kini.",
             "{partner} hantar lewat {days} daripada tarikh yang dijanjikan. Tak boleh diterima.",
             "Bungkusan lambat lagi, dah lewat {days} dan tiada sebarang makluman.",
             "Tunggu {product} {days} lebih lama daripada yang dijanjikan. Sangat menjengkelkan.",
             "Status bungkusan 'dalam penghantaran' selama {days}, {partner} perlu perbaiki."),
            ("Bungkusan sampai lewat {days}, tapi {product} memang bagus.",
             "Penghantaran {partner} agak lambat, selain itu semuanya okey."),
        ),
        "damaged_parcel": (
            ("Kotak kemek dan {product} di dalamnya rosak.",
             "Barang sampai dalam keadaan rosak, pembungkusan sangat teruk."),
            ("Kotak sedikit kemek, tapi {product} selamat dan penggantian cepat.",
             "Bungkusan rosak sikit dalam perjalanan, nasib baik isinya okey."),
        ),
        "payment_error": (
            ("Pembayaran gagal dua kali baru berjaya. Hampir batalkan pesanan.",
             "Kad saya ditolak masa checkout tanpa sebab, sangat mengecewakan."),
            ("Ada ralat pembayaran mula-mula, tapi cubaan kedua berjaya.",),
        ),
        "slow_site": (
            ("Aplikasi sangat perlahan, halaman ambil masa lama untuk dimuatkan.",
             "Checkout asyik tergantung di telefon, lama betul nak buat pesanan.",
             "Hasil carian dalam aplikasi lambat sangat nak keluar."),
            ("Laman web agak perlahan hari ini, tapi akhirnya dapat juga pesan {product}.",),
        ),
        "helpful_support": (
            ("Ejen sopan, tapi masalah saya masih belum selesai sepenuhnya.",),
            ("Khidmat pelanggan selesaikan masalah saya dalam masa sejam, sangat membantu.",
             "Ejen sokongan mesra dan cepat bertindak, terima kasih.",
             "Khidmat pelanggan cepat membalas, siap bagi baucar sebagai tanda maaf."),
        ),
        "slow_support": (
            ("Tunggu dua hari untuk balasan khidmat pelanggan. Terlalu lambat.",
             "Terpaksa hubungi sokongan tiga kali baru ada yang jawab.",
             "Jawapan sokongan cuma salin-tampal, lama betul nak selesai."),
            ("Sokongan agak lambat membalas, tapi akhirnya masalah selesai.",),
        ),
        "good_price": (
            ("Harga dah naik, {product} lebih murah di tempat lain.",
             "Kos penghantaran terlalu mahal untuk pesanan kecil."),
            ("Harga berpatutan, lebih murah daripada kedai lain untuk {product} yang sama.",
             "Berbaloi dengan harga, baucar pun sangat membantu.",
             "Dapat {product} masa promosi, harga paling murah."),
        ),
        "great_product": (
            ("Barang tak sama macam gambar, kualiti {product} mengecewakan.",
             "Baru seminggu guna, {product} dah rosak.",
             "Kualiti {product} murah sangat, tak berbaloi."),
            ("Suka sangat dengan {product} ni, kualiti terbaik.",
             "Barang sama seperti dalam gambar, sangat berpuas hati dengan {product}.",
             "Kualiti {product} bagus, berfungsi dengan sempurna."),
        ),
        "easy_checkout": (
            ("Proses checkout mengelirukan, terlalu banyak langkah.",
             "Kod baucar tak boleh digunakan masa checkout, menjengkelkan."),
            ("Checkout cepat dan mudah, siap dalam seminit.",
             "Sangat mudah untuk bayar, praktikal.",
             "Bayar guna e-dompet lancar dan cepat."),
        ),
    },
    "ru": {  # phrasing avoids the writer's grammatical gender and uses {product} only in the nominative
        "late_delivery": (
            ("Заказ пришёл на {days} позже срока, трекинг не обновлялся.",
             "{partner} доставил посылку с опозданием на {days}. Это неприемлемо.",
             "Опять задержка доставки на {days}, и никто ничего не объяснил.",
             "Посылку пришлось ждать на {days} дольше обещанного. Очень неприятно.",
             "Статус «в пути» висел {days}, {partner} пора навести порядок."),
            ("Посылка опоздала на {days}, но сам товар отличный.",
             "Доставка {partner} немного задержалась, в остальном всё хорошо."),
        ),
        "damaged_parcel": (
            ("Коробка была смята, товар внутри повреждён.",
             "Заказ пришёл сломанным, упаковка ужасная."),
            ("Коробка немного помята, но товар цел, а замену прислали быстро.",
             "Упаковка пострадала в дороге, к счастью, внутри всё целое."),
        ),
        "payment_error": (
            ("Оплата прошла только с третьей попытки, очень неудобно.",
             "Карту отклонили при оплате без всякой причины, очень неприятно."),
            ("Сначала была ошибка оплаты, но со второй попытки всё прошло.",),
        ),
        "slow_site": (
            ("Приложение ужасно тормозит, страницы грузятся целую вечность.",
             "Оформление заказа постоянно зависало на телефоне.",
             "Поиск в приложении грузится очень долго."),
            ("Сайт сегодня немного тормозил, но заказ оформить удалось.",),
        ),
        "helpful_support": (
            ("Оператор вежливый, но проблема так и не решена до конца.",),
            ("Поддержка решила мою проблему меньше чем за час, спасибо.",
             "Оператор был вежлив и быстро всё исправил.",
             "Поддержка ответила быстро и даже дала промокод за неудобства."),
        ),
        "slow_support": (
            ("Ответа поддержки пришлось ждать два дня. Слишком долго.",
             "Пришлось писать в поддержку три раза, прежде чем ответили.",
             "В поддержке отвечали шаблонами, решение заняло вечность."),
            ("Поддержка отвечала долго, но в итоге всё решили.",),
        ),
        "good_price": (
            ("Цены выросли, в другом магазине {product} дешевле.",
             "Доставка слишком дорогая для небольших заказов."),
            ("Отличные цены, {product} здесь дешевле, чем в других магазинах.",
             "Хорошее соотношение цены и качества, промокоды тоже помогают.",
             "Взяли по акции, дешевле не найти."),
        ),
        "great_product": (
            ("Товар не похож на фото, качество разочаровало.",
             "Заказ: {product}. Через неделю пришлось возвращать.",
             "{product} — качество слабое, не стоит своих денег."),
            ("{product} — качество отличное, очень довольны.",
             "Товар полностью соответствует описанию, всё понравилось.",
             "{product} — всё работает отлично."),
        ),
        "easy_checkout": (
            ("Оформление заказа запутанное, слишком много шагов.",
             "Промокод не применился при оформлении, раздражает."),
            ("Оформить заказ просто и быстро, всё за минуту.",
             "Очень удобная оплата, всё интуитивно понятно.",
             "Оплата через электронный кошелёк прошла быстро и без проблем."),
        ),
    },
}
# Sentences around a strongly felt comment: (negative, positive).
OPENERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Really disappointed.", "Not happy this time.", "Hmm.", "Honestly, not great."),
           ("Great experience overall.", "Very happy!", "Thanks, team!", "Love this shop!")),
    "id": (("Kecewa.", "Kali ini kurang puas.", "Duh.", "Jujur, kurang oke."),
           ("Mantap!", "Puas belanja di sini.", "Terima kasih!", "Suka banget belanja di sini!")),
    "ms": (("Kecewa.", "Kali ini kurang memuaskan.", "Aduh.", "Terus terang, kurang bagus."),
           ("Terbaik!", "Puas hati.", "Terima kasih!", "Suka sangat kedai ni!")),
    "ru": (("Неприятно.", "В этот раз не впечатлило.", "Эх.", "Честно говоря, так себе."),
           ("Отлично!", "Всё понравилось.", "Спасибо!", "Любимый магазин!")),
}
CLOSERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Please fix this.", "Thinking of switching to another shop.", "Expected better."),
           ("Will order again!", "Keep it up.", "Recommended.")),
    "id": (("Tolong diperbaiki.", "Mikir-mikir buat belanja lagi.", "Harusnya bisa lebih baik."),
           ("Bakal belanja lagi!", "Sukses terus.", "Recommended!")),
    "ms": (("Tolong perbaiki.", "Fikir dua kali nak beli lagi.", "Harap lebih baik lepas ni."),
           ("Akan beli lagi!", "Teruskan!", "Sangat disyorkan.")),
    "ru": (("Исправьте, пожалуйста.", "Подумаю, стоит ли заказывать снова.", "Ожидания не оправдались."),
           ("Закажу ещё!", "Так держать.", "Рекомендую.")),
}
REVIEW_TITLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Disappointed", "Could be better", "Not recommended", "Poor service"),
           ("Great shop", "Fast and reliable", "Love it", "Very good service")),
    "id": (("Kecewa", "Kurang memuaskan", "Perlu perbaikan", "Tidak recommended"),
           ("Toko mantap", "Puas belanja", "Recommended", "Pelayanan bagus")),
    "ms": (("Kecewa", "Kurang memuaskan", "Perlu penambahbaikan", "Tidak disyorkan"),
           ("Kedai terbaik", "Puas hati", "Sangat disyorkan", "Servis bagus")),
    "ru": (("Разочарование", "Могло быть лучше", "Не рекомендую", "Плохой опыт"),
           ("Отличный магазин", "Всё супер", "Рекомендую", "Хороший сервис")),
}
# Product names per language, aligned with PRODUCTS; Russian phrases use them only in the nominative.
PRODUCT_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("rice cooker", "phone case", "backpack", "blender", "batik shirt", "skincare set", "coffee grinder",
           "desk lamp", "smartwatch", "kettle"),
    "id": ("rice cooker", "casing HP", "tas ransel", "blender", "kemeja batik", "paket skincare", "penggiling kopi",
           "lampu meja", "smartwatch", "teko listrik"),
    "ms": ("periuk nasi", "sarung telefon", "beg galas", "pengisar", "baju batik", "set penjagaan kulit",
           "pengisar kopi", "lampu meja", "jam pintar", "cerek elektrik"),
    "ru": ("рисоварка", "чехол для телефона", "рюкзак", "блендер", "рубашка-батик", "набор косметики", "кофемолка",
           "настольная лампа", "смарт-часы", "электрочайник"),
}

# Support requests per language and topic: (subject, bodies). Placeholders: {order}, {partner}, {product}.
TICKETS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "en": (
        ("Where is my order?", (
            "Hi, my order {order} should have arrived already and the tracking hasn't moved in days. Where is it?",
            "Order {order} is late. {partner} says it's in transit but nothing has changed. Please help.")),
        ("Damaged parcel", (
            "My order {order} arrived damaged, the {product} is broken. I'd like a replacement or a refund.",
            "The parcel for order {order} was crushed. Photos attached. What can you do?")),
        ("Payment problem", (
            "I was charged but the payment for order {order} shows as failed. Please check.",
            "My card keeps getting declined at checkout even though it works everywhere else.")),
        ("Change my order", (
            "Can I still change the delivery address for order {order}?",
            "Please remove one item from order {order}, I picked the wrong size.")),
    ),
    "id": (
        ("Pesanan belum sampai", (
            "Halo, pesanan {order} harusnya sudah sampai tapi tracking nggak bergerak beberapa hari. Paket saya di "
            "mana?",
            "Pesanan {order} telat. Kata {partner} masih dalam perjalanan tapi nggak ada perubahan. Tolong dibantu.")),
        ("Paket rusak", (
            "Pesanan {order} sampai dalam keadaan rusak, {product}-nya pecah. Saya minta ganti atau refund.",
            "Paket untuk pesanan {order} penyok parah. Foto terlampir. Bagaimana solusinya?")),
        ("Masalah pembayaran", (
            "Saldo saya sudah terpotong tapi pembayaran pesanan {order} statusnya gagal. Mohon dicek.",
            "Kartu saya selalu ditolak saat checkout padahal di tempat lain bisa.")),
        ("Ubah pesanan", (
            "Apakah alamat pengiriman pesanan {order} masih bisa diganti?",
            "Tolong batalkan satu barang dari pesanan {order}, saya salah pilih ukuran.")),
    ),
    "ms": (
        ("Pesanan belum sampai", (
            "Hai, pesanan {order} sepatutnya dah sampai tapi tracking tak bergerak beberapa hari. Mana bungkusan saya?",
            "Pesanan {order} lewat. {partner} kata masih dalam perjalanan tapi tiada perubahan. Tolong bantu.")),
        ("Bungkusan rosak", (
            "Pesanan {order} sampai dalam keadaan rosak, {product} pecah. Saya nak penggantian atau bayaran balik.",
            "Bungkusan untuk pesanan {order} kemek teruk. Gambar dilampirkan. Apa penyelesaiannya?")),
        ("Masalah pembayaran", (
            "Duit saya dah ditolak tapi pembayaran untuk pesanan {order} tunjuk gagal. Tolong semak.",
            "Kad saya asyik ditolak masa checkout walaupun boleh guna di tempat lain.")),
        ("Tukar pesanan", (
            "Boleh tukar alamat penghantaran untuk pesanan {order}?",
            "Tolong batalkan satu barang daripada pesanan {order}, saya tersalah pilih saiz.")),
    ),
    "ru": (
        ("Где мой заказ?", (
            "Здравствуйте, заказ {order} уже должен был прийти, но трекинг не меняется несколько дней. Где посылка?",
            "Заказ {order} задерживается. {partner} пишет, что он в пути, но ничего не меняется. Помогите, "
            "пожалуйста.")),
        ("Повреждённая посылка", (
            "Заказ {order} пришёл повреждённым, товар сломан. Прошу замену или возврат денег.",
            "Посылка по заказу {order} сильно помята. Фото прилагаю. Что можно сделать?")),
        ("Проблема с оплатой", (
            "Деньги списаны, но оплата заказа {order} отображается как неуспешная. Проверьте, пожалуйста.",
            "Карту постоянно отклоняют при оплате, хотя в других магазинах она работает.")),
        ("Изменение заказа", (
            "Можно ли ещё изменить адрес доставки для заказа {order}?",
            "Пожалуйста, уберите один товар из заказа {order}, ошибка с размером.")),
    ),
}
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Emma", "James", "Olivia", "Liam", "Chloe", "Daniel", "Grace", "Ethan", "Mei Ling", "Wei Jie", "Priya",
           "Jack"),
    "id": ("Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Putri", "Wahyu", "Fitri", "Rizky", "Ayu", "Dimas"),
    "ms": ("Ahmad", "Nurul", "Aisyah", "Farid", "Siti", "Hafiz", "Amirah", "Zul", "Liyana", "Syafiq", "Aina",
           "Irfan"),
    "ru": ("Анна", "Дмитрий", "Елена", "Сергей", "Ольга", "Алексей", "Наталья", "Иван", "Мария", "Павел", "Ксения",
           "Михаил"),
}
INITIALS = {"en": "ABCDGHKLMPRSTW", "id": "ABDHKPRSSW", "ms": "ABHIKMRSYZ", "ru": "АБВГДКЛМНПРСТ"}

# Journey order of event names, the tie-break for events at the same instant.
EVENT_NAMES = ("visit", "browse", "add_to_cart", "checkout_started", "payment_failed", "order_completed",
               "order_delivered", "ticket_opened", "ticket_closed", "task", "checkout_error", "tracking_error")
(EV_VISIT, EV_BROWSE, EV_CART, EV_CHECKOUT, EV_PAYFAIL, EV_COMPLETED, EV_DELIVERED, EV_TICKET_OPEN,
 EV_TICKET_CLOSE, EV_TASK, EV_CHECKOUT_ERROR, EV_TRACKING_ERROR) = range(12)
CHECKOUT_ERRORS = ("session_expired", "address_invalid", "stock_changed", "server_error")
# Timed tasks: median seconds on the web (the mobile app takes MOBILE_SLOWER times longer); share of attempts failing.
CHECKOUT_S, TRACK_S, CHANGE_ADDRESS_S = 80.0, 20.0, 70.0
MOBILE_SLOWER = 1.35
TRACK_FAIL, TRACK_FAIL_INCIDENT = 0.06, 0.35  # NusaCargo's tracking feed lags during the incident
CHANGE_ADDRESS_SHARE, CHANGE_ADDRESS_FAIL = 0.03, 0.25  # too late once the parcel has left
CHECKOUT_ERROR, CHECKOUT_ERROR_SALE = 0.01, 0.04  # the checkout struggles under the load of the double-day sales

# Surveys: kind, survey_id, touchpoint, channel; the score at which a comment reads positive; "strongly felt" bounds.
NPS, CSAT, CES = range(3)
SURVEYS = (("nps", "relational-nps", "delivery", "email"), ("csat", "support-csat", "support", "email"),
           ("ces", "checkout-ces", "checkout", "web"))
POSITIVE_FROM = (7, 4, 5)
STRONG_BELOW, STRONG_FROM = (5, 3, 3), (9, 5, 7)
SCALE = ((0, 10), (1, 5), (1, 7))
COMMENT_RATE, COMMENT_RATE_NEGATIVE = 0.36, 0.50  # unhappy customers explain themselves more often
FOLLOW_UP_RATE = 0.7  # NPS respondents who also answer the optional expectations and buy-again questions


# -- small helpers -------------------------------------------------------------------------------------------------
def _us(day: dt.date) -> int:
    """Microseconds since the epoch at midnight UTC of `day`."""
    return (day - EPOCH).days * DAY


def _choice(rng: np.random.Generator, weights: Sequence[float] | Array, n: int) -> Array:
    """`n` indices drawn with the given weights (one vectorised inverse-CDF lookup)."""
    cum = np.cumsum(weights, dtype=float)
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def _choice_rows(rng: np.random.Generator, table: Array, rows: Array) -> Array:
    """One index per element of `rows`, drawn with the weights in `table[row]` (mixes that differ per row)."""
    cum = np.cumsum(table, axis=1)
    cum = cum / cum[:, -1:]
    return np.minimum((rng.random(len(rows))[:, None] >= cum[rows]).sum(axis=1), table.shape[1] - 1)


def _uniform_us(rng: np.random.Generator, low: float, high: float, n: int) -> Array:
    """`n` random durations in [low, high) microseconds."""
    return rng.uniform(low, high, n).astype(np.int64)


def _ids(prefix: str, n: int, width: int) -> Array:
    """Sequential ids like r000001, widened when `n` needs more digits."""
    w = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{w}d}" for i in range(1, n + 1)], dtype=object)


def _hex(rng: np.random.Generator, n: int, digits: int) -> list[str]:
    """`n` random hexadecimal tokens (anonymous ids, review ids), digit by digit since they outgrow 64 bits."""
    chars = np.array(list("0123456789abcdef"), dtype=object)[rng.integers(0, 16, (n, digits))]
    return ["".join(row) for row in chars.tolist()]


def _ts(us: Array) -> Array:
    return us.astype("datetime64[us]")


def _days_phrase(lang: str, n: int) -> str:
    """"3 days" in the comment's language, with Russian plural agreement."""
    if lang == "en":
        return "1 day" if n == 1 else f"{n} days"
    if lang in ("id", "ms"):
        return f"{n} hari"
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} день"
    return f"{n} дня" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else f"{n} дней"


def _pick_text(options: Sequence[str], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


# -- the calendar --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Clock:
    start: int  # first instant of the window
    stop: int  # first instant after it
    days: int
    cum_weight: Array  # cumulative shopping weight per day, length days + 1, for inverse-CDF day draws
    peak: Array  # days when every partner runs late (the week after the big sales)
    sale: Array  # the double-day sales, when the checkout is under load
    incident: tuple[int, int]  # promised delivery dates that the incident makes late


def _clock(end: dt.date, days: int) -> _Clock:
    stop = _us(end + dt.timedelta(days=1))
    start = stop - days * DAY
    dates = np.arange(np.datetime64(end - dt.timedelta(days=days - 1)), np.datetime64(end + dt.timedelta(days=1)))
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    weight = 1.0 + 0.35 * np.linspace(0.0, 1.0, days)  # the shop grows over the year
    weight *= np.where(weekday >= 5, 1.15, 1.0)
    double_day = (month == dom) & (month >= 9)  # 9.9, 10.10, 11.11 and 12.12 sales
    weight *= np.where(double_day, np.where(month >= 11, 3.0, 2.0), 1.0)
    weight *= np.where((month == 11) & (weekday == 4) & (dom >= 23) & (dom <= 29), 2.0, 1.0)  # Black Friday
    after_sale = np.zeros(days, dtype=bool)
    for d in np.flatnonzero(double_day & (month >= 11)):
        after_sale[d + 1: d + 8] = True
    first, after = planted_window(end)
    incident = (_us(first) - INCIDENT_LEAD_DAYS * DAY, _us(after) - INCIDENT_LEAD_DAYS * DAY)
    return _Clock(start, stop, days, np.concatenate([[0.0], np.cumsum(weight)]), after_sale, double_day, incident)


def _day_index(clock: _Clock, us: Array) -> Array:
    return np.clip((us - clock.start) // DAY, 0, clock.days - 1)


# -- customers -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Customers:
    ids: Array
    segment: Array
    plan: Array
    country: Array
    lang: Array
    signup: Array
    rate: Array  # orders per year
    skew: Array  # > 1 pulls activity towards the start of the window (customers drifting away)
    mobile: Array
    mood: Array  # a customer's own tendency to score high or low
    dropout: Array  # probability of leaving for good after a purchase that went well
    anon: Array
    name: Array
    moved_at: Array  # when a later identify changed the segment (int64 max: never)
    moved_to: Array

    def segment_at(self, cust: Array, at: Array) -> Array:
        """The segment of each customer at each instant: the later identify wins once it happened."""
        return np.where(at >= self.moved_at[cust], self.moved_to[cust], self.segment[cust])


def _customers(rng: np.random.Generator, n: int, clock: _Clock) -> _Customers:
    segment = _choice(rng, SEGMENT_WEIGHTS, n)
    plan = _choice_rows(rng, PLAN_WEIGHTS, segment)
    country = _choice(rng, COUNTRY_WEIGHTS, n)
    lang = np.array(LANG_OF_COUNTRY)[country]
    lang = np.where((country == COUNTRIES.index("MY")) & (rng.random(n) < MALAYSIANS_IN_ENGLISH), 0, lang)
    # New customers signed up in the last 90 days; the others up to three years before the window.
    end = clock.stop - 7 * DAY
    recent = _uniform_us(rng, 0, 83 * DAY, n) + (clock.stop - 90 * DAY)
    older = _uniform_us(rng, clock.start - 1095 * DAY, end - 113 * DAY, n)
    signup = np.where(segment == 0, recent, older)
    rate = np.array(SEGMENT_ORDERS_PER_YEAR)[segment] * rng.gamma(1.5, 1 / 1.5, n)  # heterogeneous buyers
    skew = np.where(segment == SEGMENTS.index("at_risk"), 1.8, 1.0)
    mobile = rng.beta(6.0, 2.0, n) * np.array(COUNTRY_MOBILE)[country] / 0.75
    mood = rng.normal(0.0, 0.7, n)
    leave = np.array(SEGMENT_DROPOUT)[segment]
    dropout = rng.beta(leave * DROPOUT_SPREAD, (1 - leave) * DROPOUT_SPREAD)
    moved = rng.random(n) < SEGMENT_MOVE_SHARE
    moved_to = _choice_rows(rng, SEGMENT_MOVES, segment)
    first = np.maximum(signup, clock.start)
    moved_at = np.where(moved, first + (rng.random(n) * (clock.stop - first)).astype(np.int64),
                        np.iinfo(np.int64).max)
    anon = np.array([f"anon-{h}" for h in _hex(rng, n, 16)], dtype=object)
    first_u, initial_u = rng.random(n), rng.random(n)
    names = [
        f"{_pick_text(FIRST_NAMES[LANGS[g]], a)} {_pick_text(INITIALS[LANGS[g]], b)}."
        for g, a, b in zip(lang.tolist(), first_u.tolist(), initial_u.tolist(), strict=True)
    ]
    return _Customers(_ids("c", n, 5), segment, plan, country, lang, signup, rate, skew,
                      np.clip(mobile, 0.05, 0.97), mood, dropout, anon, np.array(names, dtype=object), moved_at,
                      moved_to)


def _activity_times(rng: np.random.Generator, clock: _Clock, cust: _Customers, who: Array) -> Array:
    """One instant per entry of `who`: a weighted day of that customer's active window, at a local shopping hour."""
    first = np.maximum(cust.signup, clock.start)[who]
    first_day = _day_index(clock, first)
    lo, hi = clock.cum_weight[first_day], clock.cum_weight[-1]
    target = lo + (hi - lo) * rng.random(len(who)) ** cust.skew[who]
    day = np.clip(np.searchsorted(clock.cum_weight, target, side="right") - 1, first_day, clock.days - 1)
    hour = _choice(rng, HOUR_WEIGHTS, len(who)) - np.array(COUNTRY_UTC_OFFSET)[cust.country[who]]
    t = clock.start + day * DAY + hour * HOUR + _uniform_us(rng, 0, HOUR, len(who))
    # Local hours can fall before the customer's first instant (time zones, signup day): move those a day later.
    t = np.where(t < first, t + ((first - t) // DAY + 1) * DAY, t)
    return np.minimum(t, clock.stop - MINUTE)


def _draw_per_customer(rng: np.random.Generator, clock: _Clock, cust: _Customers, per_year: Array) -> Array:
    """Customer index of each of a Poisson number of activities, at `per_year` over each active window."""
    active_days = (clock.stop - np.maximum(cust.signup, clock.start)) / DAY
    counts = rng.poisson(per_year * np.clip(active_days, 0, None) / 365.0)
    return np.repeat(np.arange(len(cust.ids)), counts)


# -- orders --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Orders:
    ids: Array
    cust: Array
    at: Array
    amount: Array
    currency: Array
    mobile: Array
    product: Array
    partner: Array
    promised_days: Array
    late: Array
    late_days: Array  # 0 when on time
    delivered: Array
    damaged: Array
    payerr: Array
    slow: Array
    load_ms: Array
    refunded: Array
    mood: Array  # latent experience after delivery, on the NPS scale before noise and rounding
    topic: Array  # support ticket topic, -1 for none
    ticket_ids: Array
    opened: Array
    closed: Array
    resolution_h: Array
    left: Array  # the customer left for good after this order
    gone: Array  # per customer: no visits from this instant on (int64 max: still a customer)


def _orders(rng: np.random.Generator, clock: _Clock, cust: _Customers) -> _Orders:
    repeat = _draw_per_customer(rng, clock, cust, cust.rate)
    repeat_at = _activity_times(rng, clock, cust, repeat)
    # A customer who signed up during the window places a first order soon after.
    joined = np.flatnonzero(cust.signup >= clock.start)
    first_at = cust.signup[joined] + _uniform_us(rng, 2 * MINUTE, 2 * DAY, len(joined))
    keep = first_at < clock.stop
    who = np.concatenate([repeat, joined[keep]])
    at = np.concatenate([repeat_at, first_at[keep]])
    order = np.lexsort((who, at))
    who, at = who[order], at[order]
    n = len(who)
    country = cust.country[who]

    usd = np.exp(rng.normal(np.log(28.0) + np.array(SEGMENT_SPEND)[cust.segment[who]], 0.75))
    amount = usd * np.array(USD_RATE)[country]
    for c, decimals in enumerate(CURRENCY_DECIMALS):
        amount[country == c] = np.round(amount[country == c], decimals)
    mobile = rng.random(n) < cust.mobile[who]
    partner = _choice_rows(rng, PARTNER_MIX, country)
    promised_days = np.array(PROMISED_DAYS)[country] + rng.integers(0, 2, n)
    promised = at + promised_days * DAY
    in_incident = (partner == NUSA) & (promised >= clock.incident[0]) & (promised < clock.incident[1])
    late_p = np.array(PARTNER_LATE)[partner] + PEAK_LATE_BUMP * clock.peak[_day_index(clock, promised)]
    late = rng.random(n) < np.where(in_incident, INCIDENT_LATE_RATE, late_p)
    # Incident delays are longer too: a backlog, not the odd missed van.
    late_days = np.where(late, np.where(in_incident, rng.geometric(0.3, n) + 1, rng.geometric(0.5, n)), 0)
    late_days = np.minimum(late_days, 14)
    delivered = promised + late_days * DAY - _uniform_us(rng, 0, 14 * HOUR, n)
    damaged = rng.random(n) < np.array(PARTNER_DAMAGE)[partner]
    payerr = rng.random(n) < np.where(country == COUNTRIES.index("RU"), 0.10, 0.05)
    slow = rng.random(n) < np.where(mobile, 0.09, 0.05)
    load_ms = _load_ms(rng, slow, mobile)
    refunded = rng.random(n) < 0.02 + 0.55 * damaged + 0.06 * (late_days >= 4)

    seg = cust.segment_at(who, delivered)
    mood = (8.45 + np.array(SEGMENT_MOOD)[seg] + np.array(PLAN_MOOD)[cust.plan[who]] + cust.mood[who]
            - late * (3.2 + 0.5 * np.minimum(late_days, 8)) - 3.5 * damaged - 0.5 * payerr - 0.3 * slow)

    u = rng.random(n)
    topic = np.select([damaged & (u < 0.65), late & (u < 0.30), payerr & (u < 0.12), u < 0.02],
                      [TOPIC_DAMAGED, TOPIC_LATE, TOPIC_PAYMENT, TOPIC_CHANGE], -1)
    opened = np.select(
        [topic == TOPIC_DAMAGED, topic == TOPIC_LATE, topic == TOPIC_PAYMENT],
        [delivered + _uniform_us(rng, 30 * MINUTE, 36 * HOUR, n), promised + _uniform_us(rng, 2 * HOUR, 30 * HOUR, n),
         at + _uniform_us(rng, 10 * MINUTE, 6 * HOUR, n)],
        at + _uniform_us(rng, 20 * MINUTE, 20 * HOUR, n),
    )
    # Paying customers reach the priority queue.
    resolution_h = rng.lognormal(np.log(9.0), 1.0, n) * np.where(cust.plan[who] == 2, 0.6, 1.0)
    closed = opened + (resolution_h * HOUR).astype(np.int64)
    product = rng.integers(0, len(PRODUCTS), n)
    left, kept = _dropout(rng, cust, who, at, mood)
    gone = np.full(len(cust.ids), np.iinfo(np.int64).max)
    gone[who[left]] = delivered[left] + _uniform_us(rng, 0, LINGER_DAYS * DAY, int(left.sum()))
    k = np.flatnonzero(kept)
    has_ticket = topic[k] >= 0
    ticket_ids = np.full(len(k), None, dtype=object)
    ticket_ids[has_ticket] = _ids("t", int(has_ticket.sum()), 6)
    return _Orders(_ids("o", len(k), 7), who[k], at[k], amount[k], np.array(CURRENCIES, dtype=object)[country[k]],
                   mobile[k], product[k], partner[k], promised_days[k], late[k], late_days[k], delivered[k],
                   damaged[k], payerr[k], slow[k], load_ms[k], refunded[k], mood[k], topic[k], ticket_ids, opened[k],
                   closed[k], resolution_h[k], left[k], gone)


def _dropout(rng: np.random.Generator, cust: _Customers, who: Array, at: Array, mood: Array) -> tuple[Array, Array]:
    """Which orders a customer leaves for good after (BG/NBD's coin after each purchase, loaded by a bad
    experience), and which orders happen at all: none after the one they left after."""
    p = cust.dropout[who]
    odds = p / (1 - p) * np.exp(DROPOUT_ODDS_PER_POINT * np.clip(DROPOUT_MOOD - mood, 0, None))
    leaves = rng.random(len(who)) < odds / (1 + odds)
    by_cust = np.lexsort((at, who))
    seen = np.cumsum(leaves[by_cust]) - leaves[by_cust]  # leavings before each order, all customers so far
    first = np.r_[True, np.diff(who[by_cust]) != 0]
    # Minus the count at the customer's first order (a running max works: the count never decreases).
    seen = seen - np.maximum.accumulate(np.where(first, seen, 0))
    kept = np.empty(len(who), dtype=bool)
    kept[by_cust] = seen == 0
    return leaves & kept, kept


# -- events --------------------------------------------------------------------------------------------------------
class _EventLog:
    """Collects events kind by kind, then sorts them into one table."""

    def __init__(self) -> None:
        self.at: list[Array] = []
        self.cust: list[Array] = []
        self.name: list[Array] = []
        self.props: list[str] = []

    def add(self, name: int, at: Array, cust: Array, props: list[str]) -> None:
        self.at.append(at)
        self.cust.append(cust)
        self.name.append(np.full(len(at), name))
        self.props.extend(props)

    def table(self, workspace_id: str, clock: _Clock, customers: _Customers) -> pa.Table:
        at, cust, name = np.concatenate(self.at), np.concatenate(self.cust), np.concatenate(self.name)
        inside = np.flatnonzero((at >= clock.start) & (at < clock.stop))
        order = inside[np.lexsort((name[inside], at[inside]))]
        at, cust, name = at[order], cust[order], name[order]
        names = np.array(EVENT_NAMES, dtype=object)[name]
        stamps = _ts(at)
        return to_arrow("events", {
            "workspace_id": np.full(len(order), workspace_id, dtype=object),
            "event_id": _ids("e", len(order), 7),
            "type": np.where(name == EV_VISIT, "page", "track").astype(object),
            "event": names,
            "customer_id": customers.ids[cust],
            "anonymous_id": customers.anon[cust],
            "timestamp": stamps,
            "properties": np.array(self.props, dtype=object)[order],
            "ingested_at": stamps,
        })


def _load_ms(rng: np.random.Generator, slow: Array, mobile: Array, slow_ms: float = 6500.0) -> Array:
    """Page load times in ms: about 600 on the web, slower in the mobile app, seconds when the site struggles."""
    n = len(slow)
    normal = rng.lognormal(np.log(np.where(mobile, 900.0, 600.0)), 0.45, n)
    return np.round(np.where(slow, rng.lognormal(np.log(slow_ms), 0.35, n), normal))


def _seconds(rng: np.random.Generator, median: float, mobile: Array) -> Array:
    """Lognormal task durations in seconds, longer in the mobile app."""
    return np.round(rng.lognormal(np.log(median * np.where(mobile, MOBILE_SLOWER, 1.0)), 0.5, len(mobile)), 1)


def _task_props(task: str, success: Array, seconds: Array, order_ids: Array | None = None) -> list[str]:
    ids = [""] * len(success) if order_ids is None else [f',"order_id":"{o}"' for o in order_ids.tolist()]
    return [f'{{"task":"{task}"{o},"success":{"true" if ok else "false"},"duration_s":{d}}}'
            for o, ok, d in zip(ids, success.tolist(), seconds.tolist(), strict=True)]


def _visit_props(load_ms: Array, mobile: Array, path: str) -> list[str]:
    return [f'{{"path":"{path}","load_ms":{int(ms)},"device":"{"mobile" if m else "desktop"}"}}'
            for ms, m in zip(load_ms.tolist(), mobile.tolist(), strict=True)]


def _product_props(product: Array) -> list[str]:
    return [f'{{"product":"{PRODUCTS[p][0]}","category":"{PRODUCTS[p][1]}"}}' for p in product.tolist()]


def _session(rng: np.random.Generator, log: _EventLog, cust: Array, visit_at: Array, product: Array,
             slow: Array, mobile: Array, until: Array) -> None:
    """A visit and one or more product views between `visit_at` and `until` (the cart or the session's end)."""
    n = len(cust)
    load_ms = _load_ms(rng, slow, mobile)
    log.add(EV_VISIT, visit_at, cust, _visit_props(load_ms, mobile, "/"))
    views = rng.poisson(1.0, n) + 1
    who = np.repeat(np.arange(n), views)
    span = (until - visit_at)[who]
    view_at = visit_at[who] + (rng.random(len(who)) * span).astype(np.int64)
    # The last product viewed is the one that goes in the cart; earlier views wander.
    last = np.r_[np.diff(who) != 0, True]
    viewed = np.where(last, product[who], rng.integers(0, len(PRODUCTS), len(who)))
    log.add(EV_BROWSE, view_at, cust[who], _product_props(viewed))


def _events(rng: np.random.Generator, clock: _Clock, cust: _Customers, orders: _Orders, workspace_id: str) -> pa.Table:
    log = _EventLog()
    n = len(orders.ids)
    oid = orders.ids.tolist()
    # Checkout is a timed task: slower on a phone, on a slow page and after a failed payment.
    took = _seconds(rng, CHECKOUT_S, orders.mobile) + 45 * orders.payerr + 30 * orders.slow
    checkout_at = orders.at - (took * 1e6).astype(np.int64)
    cart_at = checkout_at - _uniform_us(rng, MINUTE, 5 * MINUTE, n)
    visit_at = cart_at - _uniform_us(rng, 5 * MINUTE, 40 * MINUTE, n)
    _session(rng, log, orders.cust, visit_at, orders.product, orders.slow, orders.mobile, cart_at)
    usd = orders.amount / np.array(USD_RATE)[cust.country[orders.cust]]
    log.add(EV_CART, cart_at, orders.cust, [
        f'{{"product":"{PRODUCTS[p][0]}","price_usd":{u:.2f}}}' for p, u in zip(orders.product.tolist(), usd.tolist(),
                                                                                 strict=True)])
    log.add(EV_CHECKOUT, checkout_at, orders.cust, [
        f'{{"order_id":"{o}","load_ms":{int(ms)}}}' for o, ms in zip(oid, orders.load_ms.tolist(), strict=True)])
    failed = np.flatnonzero(orders.payerr)
    errors = rng.integers(0, len(PAYMENT_ERRORS), len(failed))
    log.add(EV_PAYFAIL, orders.at[failed] - _uniform_us(rng, 20_000_000, 50_000_000, len(failed)), orders.cust[failed],
            [f'{{"order_id":"{oid[i]}","error":"{PAYMENT_ERRORS[e]}"}}' for i, e in zip(failed.tolist(),
                                                                                          errors.tolist(),
                                                                                          strict=True)])
    log.add(EV_COMPLETED, orders.at, orders.cust, [
        f'{{"order_id":"{o}","amount":{a},"currency":"{c}","partner":"{PARTNERS[p]}"}}'
        for o, a, c, p in zip(oid, orders.amount.tolist(), orders.currency.tolist(), orders.partner.tolist(),
                              strict=True)])
    log.add(EV_DELIVERED, orders.delivered, orders.cust, [
        f'{{"order_id":"{o}","partner":"{PARTNERS[p]}","promised_days":{d},"late_days":{ld}}}'
        for o, p, d, ld in zip(oid, orders.partner.tolist(), orders.promised_days.tolist(),
                               orders.late_days.tolist(), strict=True)])
    tickets = np.flatnonzero(orders.topic >= 0)
    log.add(EV_TICKET_OPEN, orders.opened[tickets], orders.cust[tickets], [
        f'{{"ticket_id":"{orders.ticket_ids[i]}","order_id":"{oid[i]}","topic":"{TOPICS[orders.topic[i]]}"}}'
        for i in tickets.tolist()])
    log.add(EV_TICKET_CLOSE, orders.closed[tickets], orders.cust[tickets], [
        f'{{"ticket_id":"{orders.ticket_ids[i]}","order_id":"{oid[i]}","resolution_hours":{h:.1f}}}'
        for i, h in zip(tickets.tolist(), orders.resolution_h[tickets].tolist(), strict=True)])
    log.add(EV_TASK, orders.at, orders.cust, _task_props("checkout", np.ones(n, dtype=bool), took, orders.ids))
    _order_tasks(rng, log, clock, orders, checkout_at)
    _browsing(rng, log, clock, cust, orders.gone)
    return log.table(workspace_id, clock, cust)


def _order_tasks(rng: np.random.Generator, log: _EventLog, clock: _Clock, orders: _Orders,
                 checkout_at: Array) -> None:
    """Errors a retried checkout got past, order tracking while the parcel travels, address changes after ordering."""
    n = len(orders.ids)
    sale = clock.sale[_day_index(clock, orders.at)]
    erred = np.flatnonzero(rng.random(n) < CHECKOUT_ERROR + CHECKOUT_ERROR_SALE * sale + 0.03 * orders.slow)
    kinds = rng.integers(0, len(CHECKOUT_ERRORS), len(erred))
    log.add(EV_CHECKOUT_ERROR, checkout_at[erred] + (orders.at[erred] - checkout_at[erred]) // 2, orders.cust[erred],
            [f'{{"order_id":"{orders.ids[i]}","error":"{CHECKOUT_ERRORS[k]}"}}'
             for i, k in zip(erred.tolist(), kinds.tolist(), strict=True)])
    # Late parcels get tracked more; NusaCargo's tracking fails often while its deliveries are late.
    tracked = np.flatnonzero(rng.random(n) < 0.45 + 0.35 * orders.late)
    promised = orders.at + orders.promised_days * DAY
    incident = ((orders.partner == NUSA) & (promised >= clock.incident[0]) & (promised < clock.incident[1]))[tracked]
    track_at = orders.at[tracked] + DAY + (rng.random(len(tracked)) * (orders.delivered[tracked] - orders.at[tracked]
                                                                        - DAY)).astype(np.int64)
    ok = rng.random(len(tracked)) >= np.where(incident, TRACK_FAIL_INCIDENT, TRACK_FAIL)
    _page_task(rng, log, orders, tracked, track_at, ok, "track_order", TRACK_S, "/orders/track")
    log.add(EV_TRACKING_ERROR, track_at[~ok] + MINUTE // 2, orders.cust[tracked[~ok]],
            [f'{{"order_id":"{orders.ids[i]}","partner":"{PARTNERS[orders.partner[i]]}","error":"carrier_timeout"}}'
             for i in tracked[~ok].tolist()])
    changed = np.flatnonzero(rng.random(n) < CHANGE_ADDRESS_SHARE)
    change_at = orders.at[changed] + _uniform_us(rng, 10 * MINUTE, 6 * HOUR, len(changed))
    ok = rng.random(len(changed)) >= CHANGE_ADDRESS_FAIL
    _page_task(rng, log, orders, changed, change_at, ok, "change_address", CHANGE_ADDRESS_S, "/account/orders")


def _page_task(rng: np.random.Generator, log: _EventLog, orders: _Orders, rows: Array, visit_at: Array, ok: Array,
               task: str, median_s: float, path: str) -> None:
    """A visit to the task's page, then the attempt's outcome; failed attempts drag on longer before giving up."""
    mobile = orders.mobile[rows]
    log.add(EV_VISIT, visit_at, orders.cust[rows], _visit_props(_load_ms(rng, orders.slow[rows], mobile), mobile, path))
    took = _seconds(rng, median_s, mobile) * np.where(ok, 1.0, 2.0)
    log.add(EV_TASK, visit_at + (took * 1e6).astype(np.int64), orders.cust[rows],
            _task_props(task, ok, took, orders.ids[rows]))


def _browsing(rng: np.random.Generator, log: _EventLog, clock: _Clock, cust: _Customers, gone: Array) -> None:
    """Sessions between orders: visits and views, some carts, a few checkouts that a payment error ends."""
    who = _draw_per_customer(rng, clock, cust, cust.rate * 1.4 + 2.0)
    start = _activity_times(rng, clock, cust, who)
    stay = start < gone[who]  # customers who left stop coming
    who, start = who[stay], start[stay]
    n = len(who)
    mobile = rng.random(n) < cust.mobile[who]
    slow = rng.random(n) < np.where(mobile, 0.09, 0.05)
    product = rng.integers(0, len(PRODUCTS), n)
    until = start + _uniform_us(rng, 2 * MINUTE, 25 * MINUTE, n)
    _session(rng, log, who, start, product, slow, mobile, until)
    carted = np.flatnonzero(rng.random(n) < 0.25)
    cart_at = until[carted] + _uniform_us(rng, 30_000_000, 3 * MINUTE, len(carted))
    log.add(EV_CART, cart_at, who[carted], _product_props(product[carted]))
    # Abandoned checkouts: slow pages, failed payments and checkout errors are what make people leave.
    leaves = rng.random(len(carted)) < 0.16 + 0.3 * slow[carted]
    left = carted[leaves]
    m = len(left)
    checkout_at = cart_at[leaves] + _uniform_us(rng, 30_000_000, 2 * MINUTE, m)
    loads = _load_ms(rng, slow[left], mobile[left], 7000.0)
    log.add(EV_CHECKOUT, checkout_at, who[left], [f'{{"load_ms":{int(ms)}}}' for ms in loads.tolist()])
    took = _seconds(rng, CHECKOUT_S, mobile[left]) + 20
    gave_up = checkout_at + (took * 1e6).astype(np.int64)
    log.add(EV_TASK, gave_up, who[left], _task_props("checkout", np.zeros(m, dtype=bool), took))
    u = rng.random(m)
    failed = u < 0.4
    errors = rng.integers(0, len(PAYMENT_ERRORS), int(failed.sum()))
    halfway = checkout_at + (gave_up - checkout_at) // 2
    log.add(EV_PAYFAIL, halfway[failed], who[left][failed], [f'{{"error":"{PAYMENT_ERRORS[e]}"}}'
                                                             for e in errors.tolist()])
    sale = clock.sale[_day_index(clock, checkout_at)]
    erred = ~failed & (u < 0.55 + 0.2 * sale)
    kinds = rng.integers(0, len(CHECKOUT_ERRORS), int(erred.sum()))
    log.add(EV_CHECKOUT_ERROR, halfway[erred], who[left][erred], [f'{{"error":"{CHECKOUT_ERRORS[k]}"}}'
                                                                  for k in kinds.tolist()])


# -- survey responses ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Responses:
    kind: Array
    order: Array
    at: Array
    score: Array


def _responses(rng: np.random.Generator, clock: _Clock, cust: _Customers, orders: _Orders) -> _Responses:
    n = len(orders.ids)
    who = orders.cust
    # NPS the day after delivery by email; angry customers answer more often.
    nps_at = orders.delivered + _uniform_us(rng, 3 * HOUR, 72 * HOUR, n)
    nps_asked = rng.random(n) < np.where(orders.late | orders.damaged, 0.45, 0.32)
    nps = np.clip(np.round(orders.mood + rng.normal(0.0, 1.1, n)), 0, 10)
    # CES right after checkout, on the web; friction makes people answer.
    ces_at = orders.at + _uniform_us(rng, MINUTE, 20 * MINUTE, n)
    ces_asked = rng.random(n) < 0.10 + 0.08 * orders.payerr + 0.05 * orders.slow
    seg = cust.segment_at(who, orders.at)
    slow_cost = orders.slow * (1.0 + 0.15 * np.clip(orders.load_ms / 1000 - 4, 0, 10))
    ces = np.clip(np.round(5.7 + 0.3 * cust.mood[who] + 0.3 * np.array(SEGMENT_MOOD)[seg] - 2.3 * orders.payerr
                           - slow_cost + rng.normal(0.0, 0.9, n)), 1, 7)
    # CSAT after the ticket closes: resolution speed drives it.
    csat_at = orders.closed + _uniform_us(rng, 30 * MINUTE, 36 * HOUR, n)
    csat_asked = (orders.topic >= 0) & (rng.random(n) < 0.45)
    res = orders.resolution_h
    csat = np.clip(np.round(4.05 + 0.3 * cust.mood[who] + 0.6 * (res < 4) - 0.7 * (res > 24) - 1.1 * (res > 48)
                            - 0.3 * (orders.topic == TOPIC_DAMAGED) + rng.normal(0.0, 0.7, n)), 1, 5)

    kind = np.concatenate([np.full(n, NPS), np.full(n, CSAT), np.full(n, CES)])
    order = np.tile(np.arange(n), 3)
    at = np.concatenate([nps_at, csat_at, ces_at])
    score = np.concatenate([nps, csat, ces])
    asked = np.concatenate([nps_asked, csat_asked, ces_asked]) & (at >= clock.start) & (at < clock.stop)
    keep = np.flatnonzero(asked)
    keep = keep[np.lexsort((kind[keep], order[keep], at[keep]))]
    return _Responses(kind[keep], order[keep], at[keep], score[keep])


def _comment_causes(rng: np.random.Generator, kind: Array, orders: _Orders, order: Array, positive: Array) -> Array:
    """What each comment is about: what went wrong when something did, else a reason that fits the score."""
    n = len(kind)
    u = rng.random(n)
    late, damaged, payerr, slow = (orders.late[order], orders.damaged[order], orders.payerr[order],
                                   orders.slow[order])
    general = np.where(positive, np.array([GREAT_PRODUCT, GOOD_PRICE, EASY_CHECKOUT])[_choice(rng, (5, 3.5, 1.5), n)],
                       np.array([GREAT_PRODUCT, GOOD_PRICE, SLOW_SITE])[_choice(rng, (4, 3.5, 2.5), n)])
    delivery = np.select([damaged & (u < 0.9), late & (u < 0.85), payerr & ~positive & (u < 0.5)],
                         [DAMAGED, LATE, PAYERR], general)
    checkout = np.select([payerr & (u < 0.85), slow & (u < 0.8)], [PAYERR, SLOW_SITE],
                         np.where(positive, np.where(u < 0.7, EASY_CHECKOUT, GOOD_PRICE),
                                  np.where(u < 0.6, EASY_CHECKOUT, SLOW_SITE)))
    support = np.where(positive, HELPFUL_SUPPORT, SLOW_SUPPORT)
    return np.select([kind == NPS, kind == CES], [delivery, checkout], support)


def _texts(rng: np.random.Generator, lang: Array, cause: Array, polarity: Array, strong: Array, orders: _Orders,
           order: Array) -> list[str]:
    """Comment texts in each customer's language: a phrase for the cause, an opener and closer when strongly felt."""
    n = len(lang)
    u = rng.random((n, 5))
    out = []
    rows = zip(lang.tolist(), cause.tolist(), polarity.tolist(), strong.tolist(), order.tolist(), u.tolist(),
               strict=True)
    for g, c, p, s, o, (u_phrase, u_open, u_close, u_with_open, u_with_close) in rows:
        code = LANGS[g]
        days = max(int(orders.late_days[o]), 1)
        phrase = _pick_text(COMMENTS[code][CAUSES[c]][p], u_phrase).format(
            product=PRODUCT_NAMES[code][orders.product[o]], partner=PARTNERS[orders.partner[o]],
            days=_days_phrase(code, days))
        parts = [_pick_text(OPENERS[code][p], u_open)] if s and u_with_open < 0.5 else []
        parts.append(phrase[0].upper() + phrase[1:])
        if s and u_with_close < 0.4:
            parts.append(_pick_text(CLOSERS[code][p], u_close))
        out.append(" ".join(parts))
    return out


def _follow_ups(rng: np.random.Generator, orders: _Orders, resp: _Responses) -> tuple[Array, Array, Array]:
    """The NPS responses that also answer the 1-5 follow-ups, whether the product met expectations and how likely a
    purchase in the next 30 days is, both in line with the NPS score: a late parcel hurts the NPS more than the
    product, and a customer about to leave says so."""
    rows = np.flatnonzero(resp.kind == NPS)
    rows = rows[rng.random(len(rows)) < FOLLOW_UP_RATE]
    o, score = resp.order[rows], resp.score[rows]
    m = len(rows)
    met = 1 + 0.42 * (score + 2.0 * orders.late[o] - 1.5 * orders.damaged[o] + rng.normal(0.0, 1.2, m))
    again = 1.2 + 0.35 * score - 1.3 * orders.left[o] + rng.normal(0.0, 0.8, m)
    return rows, np.clip(np.round(met), 1, 5), np.clip(np.round(again), 1, 5)


def _survey_tables(rng: np.random.Generator, workspace_id: str, cust: _Customers, orders: _Orders,
                   resp: _Responses) -> dict[str, pa.Table]:
    n = len(resp.kind)
    rids = _ids("r", n, 6)
    who = orders.cust[resp.order]
    stamps = _ts(resp.at)
    kinds = np.array([s[0] for s in SURVEYS], dtype=object)
    responses = to_arrow("responses", {
        "workspace_id": np.full(n, workspace_id, dtype=object),
        "response_id": rids,
        "survey_id": np.array([s[1] for s in SURVEYS], dtype=object)[resp.kind],
        "survey_version": np.ones(n, dtype=np.int32),
        "customer_id": cust.ids[who],
        "channel": np.array([s[3] for s in SURVEYS], dtype=object)[resp.kind],
        "touchpoint": np.array([s[2] for s in SURVEYS], dtype=object)[resp.kind],
        "locale": np.array(LANGS, dtype=object)[cust.lang[who]],
        "submitted_at": stamps,
        "ingested_at": stamps,
    })

    positive = resp.score >= np.array(POSITIVE_FROM)[resp.kind]
    strong = (resp.score < np.array(STRONG_BELOW)[resp.kind]) | (resp.score >= np.array(STRONG_FROM)[resp.kind])
    commented = np.flatnonzero(rng.random(n) < np.where(positive, COMMENT_RATE, COMMENT_RATE_NEGATIVE))
    cause = _comment_causes(rng, resp.kind[commented], orders, resp.order[commented], positive[commented])
    texts = _texts(rng, cust.lang[who[commented]], cause, positive[commented].astype(int), strong[commented], orders,
                   resp.order[commented])
    follow, expectations, again = _follow_ups(rng, orders, resp)
    m = len(follow)
    # Long answers: the score of every response, the follow-ups, then the comments, sorted back under their response.
    a_resp = np.concatenate([np.arange(n), follow, follow, commented])
    a_kind = np.concatenate([kinds[resp.kind], np.full(m, "attitudinal", dtype=object),
                             np.full(m, "repurchase", dtype=object), np.full(len(commented), "comment", dtype=object)])
    a_num: list[float | None] = [*resp.score.tolist(), *expectations.tolist(), *again.tolist(),
                                 *([None] * len(commented))]
    a_text: list[str | None] = [*([None] * (n + 2 * m)), *texts]
    a_order = np.argsort(a_resp, kind="stable")
    answers = to_arrow("answers", {
        "workspace_id": np.full(len(a_resp), workspace_id, dtype=object),
        "response_id": rids[a_resp[a_order]],
        "question_id": a_kind[a_order],
        "kind": a_kind[a_order],
        "number": [a_num[i] for i in a_order.tolist()],
        "text": [a_text[i] for i in a_order.tolist()],
        "choice": [None] * len(a_resp),
    })

    nps_rows = np.flatnonzero(resp.kind == NPS)
    f_resp = np.concatenate([nps_rows, np.arange(n), np.arange(n)])
    f_name = np.concatenate([np.full(len(nps_rows), "delivery_partner", dtype=object),
                             np.full(n, "order_id", dtype=object), np.full(n, "device", dtype=object)])
    f_value = np.concatenate([np.array(PARTNERS, dtype=object)[orders.partner[resp.order[nps_rows]]],
                              orders.ids[resp.order],
                              np.where(orders.mobile[resp.order], "mobile", "desktop").astype(object)])
    f_order = np.argsort(f_resp, kind="stable")
    fields = to_arrow("response_fields", {
        "workspace_id": np.full(len(f_resp), workspace_id, dtype=object),
        "response_id": rids[f_resp[f_order]],
        "name": f_name[f_order],
        "value": f_value[f_order],
    })
    return {"responses": responses, "answers": answers, "response_fields": fields}


# -- reviews and tickets -------------------------------------------------------------------------------------------
def _feedback(rng: np.random.Generator, workspace_id: str, clock: _Clock, cust: _Customers,
              orders: _Orders) -> pa.Table:
    n = len(orders.ids)
    # Store reviews: mostly from customers with something to say, rating from how the order went.
    reviewed = rng.random(n) < 0.035 + 0.05 * orders.late + 0.2 * orders.damaged
    r_at = orders.delivered + _uniform_us(rng, 6 * HOUR, 10 * DAY, n)
    rows = np.flatnonzero(reviewed & (r_at >= clock.start) & (r_at < clock.stop))
    latent = orders.mood[rows] + rng.normal(0.0, 1.3, len(rows))
    rating = 1 + np.searchsorted(np.array([3.5, 5.5, 7.2, 8.8]), latent, side="right")
    positive = rating >= 4
    cause = _comment_causes(rng, np.full(len(rows), NPS), orders, rows, positive)
    who = orders.cust[rows]
    texts = _texts(rng, cust.lang[who], cause, positive.astype(int), (rating <= 2) | (rating == 5), orders, rows)
    phone = orders.mobile[rows]
    ios = rng.random(len(rows)) < np.array(COUNTRY_IOS)[cust.country[who]]
    source = np.where(phone, np.where(ios, "app_store", "google_play"), "trustpilot")
    tokens = _hex(rng, len(rows), 24)
    urls = [
        f"https://apps.apple.com/{COUNTRIES[c].lower()}/app/nusantara-shop/id1584021937" if s == "app_store"
        else f"https://play.google.com/store/apps/details?id=shop.nusantara.app&reviewId=gp:{t}"
        if s == "google_play" else f"https://www.trustpilot.com/reviews/{t}"
        for s, c, t in zip(source.tolist(), cust.country[who].tolist(), tokens, strict=True)
    ]
    title_u = rng.random(len(rows))
    titles = [_pick_text(REVIEW_TITLES[LANGS[g]][p], u)
              for g, p, u in zip(cust.lang[who].tolist(), positive.astype(int).tolist(), title_u.tolist(),
                                 strict=True)]
    # Only Trustpilot invitations carry the customer; app stores keep reviewers anonymous.
    review_cust = cust.ids[who].copy()
    review_cust[source != "trustpilot"] = None

    tickets = np.flatnonzero((orders.topic >= 0) & (rng.random(n) < 0.3) & (orders.opened >= clock.start)
                             & (orders.opened < clock.stop))
    t_who = orders.cust[tickets]
    body_u = rng.random(len(tickets))
    subjects, bodies = [], []
    for i, g, u in zip(tickets.tolist(), cust.lang[t_who].tolist(), body_u.tolist(), strict=True):
        code = LANGS[g]
        subject, options = TICKETS[code][orders.topic[i]]
        subjects.append(subject)
        bodies.append(_pick_text(options, u).format(order=orders.ids[i], partner=PARTNERS[orders.partner[i]],
                                                    product=PRODUCT_NAMES[code][orders.product[i]]))

    at = np.concatenate([r_at[rows], orders.opened[tickets]])
    m = len(at)
    order = np.lexsort((np.arange(m), at))
    columns: dict[str, Array] = {
        "source": np.concatenate([source.astype(object), np.full(len(tickets), "ticket", dtype=object)]),
        "customer_id": np.concatenate([review_cust, cust.ids[t_who]]),
        "text": np.array(texts + bodies, dtype=object),
        "rating": np.array([*rating.astype(float).tolist(), *([None] * len(tickets))], dtype=object),
        "url": np.array(urls + [f"https://support.nusantara.shop/tickets/{t}" for t in orders.ticket_ids[tickets]],
                        dtype=object),
        "author": np.concatenate([cust.name[who], cust.name[t_who]]),
        "title": np.array(titles + subjects, dtype=object),
        "locale": np.array(LANGS, dtype=object)[cust.lang[np.concatenate([who, t_who])]],
        "touchpoint": np.concatenate([np.array(CAUSE_TOUCHPOINT, dtype=object)[cause],
                                      np.full(len(tickets), "support", dtype=object)]),
    }
    stamps = _ts(at[order])
    return to_arrow("feedback", {
        "workspace_id": np.full(m, workspace_id, dtype=object),
        "feedback_id": _ids("f", m, 6),
        **{name: values[order] for name, values in columns.items()},
        "created_at": stamps,
        "ingested_at": stamps,
        "likes": pa.nulls(m, pa.int32()),  # reviews and ticket texts: only social posts have likes
    })


# -- identities ----------------------------------------------------------------------------------------------------
def _identities(workspace_id: str, cust: _Customers) -> pa.Table:
    """The signup identify (every trait) and, for a few customers, a later identify that changes the segment."""
    n = len(cust.ids)
    traits = ("segment", "plan", "country", "language", "signup_date")
    signup_day = _ts(cust.signup).astype("datetime64[D]").astype(str).astype(object)
    values = [np.array(SEGMENTS, dtype=object)[cust.segment], np.array(PLANS, dtype=object)[cust.plan],
              np.array(COUNTRIES, dtype=object)[cust.country], np.array(LANGS, dtype=object)[cust.lang], signup_day]
    moved = np.flatnonzero(cust.moved_at < np.iinfo(np.int64).max)
    who = np.concatenate([np.tile(np.arange(n), len(traits)), moved])
    trait = np.concatenate([np.repeat(np.array(traits, dtype=object), n), np.full(len(moved), "segment", dtype=object)])
    value = np.concatenate([*values, np.array(SEGMENTS, dtype=object)[cust.moved_to[moved]]])
    at = np.concatenate([np.tile(cust.signup, len(traits)), cust.moved_at[moved]])
    order = np.lexsort((np.arange(len(who)), who, at))
    stamps = _ts(at[order])
    return to_arrow("identities", {
        "workspace_id": np.full(len(who), workspace_id, dtype=object),
        "customer_id": cust.ids[who[order]],
        "trait": trait[order],
        "value": value[order],
        "observed_at": stamps,
        "ingested_at": stamps,
    })


def _orders_table(workspace_id: str, orders: _Orders, cust: _Customers) -> pa.Table:
    stamps = _ts(orders.at)
    return to_arrow("orders", {
        "workspace_id": np.full(len(orders.ids), workspace_id, dtype=object),
        "order_id": orders.ids,
        "customer_id": cust.ids[orders.cust],
        "ordered_at": stamps,
        "amount": orders.amount,
        "currency": orders.currency,
        "status": np.where(orders.refunded, "refunded", "completed").astype(object),
        "ingested_at": stamps,
    })


def _tickets_table(rng: np.random.Generator, workspace_id: str, clock: _Clock, orders: _Orders,
                   cust: _Customers) -> pa.Table:
    """The help desk's view of the support tickets: first answer within hours, longer cases need more contacts."""
    rows = np.flatnonzero((orders.topic >= 0) & (orders.opened < clock.stop))
    n = len(rows)
    opened, closed = orders.opened[rows], orders.closed[rows]
    hours = orders.resolution_h[rows]
    first = opened + (np.minimum(rng.lognormal(np.log(1.5), 0.9, n), hours * 0.8) * HOUR).astype(np.int64)
    resolved = closed < clock.stop
    contacts = 1 + rng.poisson(np.minimum(hours, 200) / 18)
    reopened = rng.random(n) < 0.04 + 0.08 * (contacts > 2)
    return to_arrow("tickets", {
        "workspace_id": np.full(n, workspace_id, dtype=object),
        "ticket_id": orders.ticket_ids[rows],
        "customer_id": cust.ids[orders.cust[rows]],
        "channel": np.where(rng.random(n) < 0.6, "chat", "email").astype(object),
        "touchpoint": np.array(["delivery", "delivery", "checkout", "account"], dtype=object)[orders.topic[rows] % 4],
        "subject": np.array(TOPICS, dtype=object)[orders.topic[rows]],
        "status": np.where(resolved, "resolved", "open").astype(object),
        "created_at": _ts(opened),
        "first_response_at": pa.array(_ts(first), mask=first >= clock.stop),
        "resolved_at": pa.array(_ts(closed), mask=~resolved),
        "contacts": contacts.astype(np.int32),
        "reopened": reopened,
        "csat": pa.nulls(n, pa.float64()),
        "ingested_at": _ts(opened),
        # Drawn last, so the other columns are what they were before tickets had agents.
        "agent": np.array(CARE_TEAM, dtype=object)[rng.choice(len(CARE_TEAM), n, p=CARE_TEAM_SHARE)],
    })


# -- the entry point -----------------------------------------------------------------------------------------------
def generate(workspace_id: str, *, seed: int = 7, customers: int = 5000, days: int = 365,
             end: dt.date = DEFAULT_END) -> dict[str, pa.Table]:
    """A year (or `days`) of Nusantara Shop up to and including `end`, one Arrow table per warehouse fact table.

    Deterministic: the same arguments give the same tables, byte for byte.
    """
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be positive")
    rng = np.random.default_rng(seed)
    clock = _clock(end, days)
    cust = _customers(rng, customers, clock)
    orders = _orders(rng, clock, cust)
    events = _events(rng, clock, cust, orders, workspace_id)
    resp = _responses(rng, clock, cust, orders)
    surveys = _survey_tables(rng, workspace_id, cust, orders, resp)
    return {
        "identities": _identities(workspace_id, cust),
        "orders": _orders_table(workspace_id, orders, cust),
        "events": events,
        **surveys,
        "feedback": _feedback(rng, workspace_id, clock, cust, orders),
        # A generator of its own, so adding tickets leaves every other table as it was.
        "tickets": _tickets_table(np.random.default_rng(seed + 101), workspace_id, clock, orders, cust),
    }
