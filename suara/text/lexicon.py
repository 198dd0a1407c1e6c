"""Curated polarity cues for customer feedback in English, Indonesian, Malay and Russian.

Written for this project from general customer-service vocabulary (delivery, e-commerce, banking, telecoms, travel,
restaurants); not derived from any data set. The sentiment model sees a cue as an extra feature, so a cue only adds
evidence and the trained weights decide how much it counts. Russian entries are stems matched as word prefixes.
Training copies these lists into the model's config, so a shipped model never drifts from the lexicon it learnt with.
"""

from __future__ import annotations

POSITIVE: dict[str, list[str]] = {
    "en": (
        "good great excellent amazing awesome love loved loves lovely nice perfect perfectly happy glad pleased "
        "satisfied fast quick quickly friendly helpful polite recommend recommended best fantastic wonderful thanks "
        "thank thx ty appreciate appreciated easy smooth smoothly reliable affordable worth impressed impressive "
        "delicious tasty clean comfortable beautiful superb outstanding prompt promptly efficient courteous kind "
        "professional resolved solved enjoy enjoyed cool brilliant pleasant seamless flawless generous responsive "
        "favourite favorite exceptional top safe safely intact fresh quality incredible awesome excited yay kudos"
    ).split(),
    "id": (
        "bagus baik mantap mantab mantul mantep enak lezat puas memuaskan cepat ramah rekomendasi recommended "
        "rekomen suka senang cinta keren hebat sempurna terbaik murah terjangkau sesuai aman rapi rapih nyaman "
        "bersih lancar oke sip top worth jos asyik asik seru indah cantik berkualitas ori original awet responsif "
        "sopan profesional terimakasih makasih trims thanks amanah membantu berfungsi mudah praktis lengkap nikmat "
        "menyenangkan istimewa segar gercep kilat fast joss juara mantaap bermanfaat good nice best love"
    ).split(),
    "ms": (
        "bagus baik best terbaik terbaek sedap cantik puas memuaskan cepat laju pantas ramah mesra murah berbaloi "
        "suka seronok gembira hebat mantap tq tqvm syukur alhamdulillah tahniah selesa bersih kemas lancar okay ok "
        "sempurna cun padu power recommend amanah membantu comel lawa gempak happy nice good "
        "love thanks terima"
    ).split(),
    "ru": (
        "хорош отличн прекрасн замечательн спасиб благодар нрав люблю любим доволь рад рекоменд удобн быстр вежлив "
        "приятн лучш супер класс крут молодц выгодн дешев надежн качествен ура восторг шикарн идеальн понравил "
        "успешн поздрав оперативн профессионал помогл выручил обожа счастл классн"
    ).split(),
}

NEGATIVE: dict[str, list[str]] = {
    "en": (
        "bad terrible awful horrible worst poor poorly disappointed disappointing disappointment slow late delayed "
        "delay delays cancelled canceled cancel cancellation broken damaged defective faulty missing lost wrong "
        "rude unhelpful useless waste wasted refund complaint complain complained problem problems issue issues "
        "error errors fail failed failure fails crash crashed crashes bug buggy expensive overpriced overcharged "
        "stuck waiting wait waited hours angry annoyed annoying frustrated frustrating ridiculous unacceptable hate "
        "hated sucks suck scam fraud dirty declined unreliable incompetent nightmare horrendous pathetic mess "
        "unfortunately difficult confusing impossible ignored ignoring nobody stranded disgusting bland cold stale "
        "leaking leak scratched torn fake outage down hidden charged charge worse crashing freezing freezes freeze "
        "laggy lagging glitch glitchy unresponsive rubbish"
    ).split(),
    "id": (
        "buruk jelek kecewa mengecewakan kecewain lambat lama lelet rusak cacat palsu kw mahal kotor kasar jutek "
        "judes parah payah lemot error gagal hilang salah telat terlambat batal dibatalkan penipu penipuan tipu "
        "nipu bohong zonk ribet susah sulit bau basi hancur pecah sobek penyok kapok nyesel menyesal sampah "
        "benci marah kesal kesel komplain refund retur bocor mati macet gangguan lecet robek cuek lamban mengecewa "
        "menyebalkan nyebelin males malas bosan sedih takut ngecewain lemah berantakan ancur"
    ).split(),
    "ms": (
        "teruk buruk hampa kecewa mengecewakan lambat lembab rosak mahal kotor kasar sombong gagal hilang "
        "salah tipu penipu scam bodoh sial benci marah geram sakit susah sukar penat bosan sedih masalah "
        "menyampah annoying busuk basi pecah koyak ralat batal dibatalkan aduan bangang celaka sampah serabut "
        "menyusahkan bengang hancur takut risau kesian malang pelik bising"
    ).split(),
    "ru": (
        "плох ужас отвратит кошмар хуже худш медленн долго задерж опозд отмен сломал слома неисправ брак обман "
        "мошенн развод грабе воры ворюг дорого груб хам бесит бесят раздраж разочар жалоб проблем ошибк сбой глюч "
        "глюк туп отстой дерьм говн ненавиж ненавид достал надоел позор жаль увы штраф списал списыва навязыв "
        "блокир заблокир отключ убыт санкц банкрот кризис мудак сволоч уроды идиот кидал неудобн невозможн "
        "нельзя падени упал пропал потерял украл вымогат хрен"
    ).split(),
}

NEGATORS: dict[str, list[str]] = {
    "en": "not no never dont don didn doesn isn wasn aren weren won wouldn couldn shouldn cannot cant without".split(),
    "id": "tidak tak gak ga nggak enggak ngga engga bukan belum kurang jangan tdk gk blm ndak".split(),
    "ms": "tidak tak bukan belum jangan x tk tdk kurang xde takde".split(),
    "ru": "не нет ни без".split(),
}

# emoticons are rewritten to these two tokens before tokenising; Russian writers smile with ")))" and frown "((("
SMILE, FROWN = "xsmile", "xfrown"
POSITIVE_EMOJI = "😀😃😄😁😊☺🙂😍🥰😘❤♥💕💖💗👍👌👏🎉✨💯🤩😎🥳💪🌟⭐😇🤗"
NEGATIVE_EMOJI = "😡😠🤬😤😞😔😢😭😩😫😒🙄👎💔😣😖😓😰😱🤮🤢😕🙁☹💩"
