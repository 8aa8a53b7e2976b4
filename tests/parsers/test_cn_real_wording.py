"""Chinese courier / station / platform SMS in the wording real senders use.

The texts follow the shapes of SMS that users of open-source 取件码 tools reported as missed (the
issue trackers of shareven/parcel, O-kai/Xiaomi-HyperOs-pickup-code-grabber, BryceWG/Pinme and
pppscn/SmsForwarder, and sample corpora in those projects); names, places and numbers are ours.
"""

from __future__ import annotations

import pytest

from smartreturn.model import EventKind
from smartreturn.parsers.courier_cn import pickup_code, pickup_codes, pickup_location

from .cn_sms import run


@pytest.mark.parametrize(
    ("text", "parser", "platform", "code"),
    [
        # 凭<code>到…取件 without 请, and with a long place between 凭 and 取
        ("【菜鸟驿站】您的包裹已到站，凭4-6-7702到龙湖花园31号楼店取件。", "cainiao", "cainiao", "4-6-7702"),
        ("【丰巢】凭22-2-3579到万家超市旁丰巢柜取件", "cainiao", "fcbox", "22-2-3579"),
        ("【申通快递】请凭9-7-0993到老菜场斜对面申通快递取您的快递，详询代收驿站", "sto", "sto", "9-7-0993"),
        ("【中通快递】凭M-2-5341到福源折扣店取尾号9100包裹", "zto", "zto", "M-2-5341"),
        ("【韵达快递】凭6-28-9336到金正米业取运单尾号9336包裹", "yunda", "yunda", "6-28-9336"),
        ("【圆通快递】请凭1-4-4230到尚府妈妈驿站领取运单尾号6017包裹，详询13700001111。", "yto", "yto", "1-4-4230"),
        # a deadline between 请 and 凭
        ("【菜鸟驿站】您的中通快递包裹已到幸福里11栋101门店，请20:30前凭10-2-7507取件，详询17600001111",
         "cainiao", "cainiao", "10-2-7507"),
        # quoted / bracketed codes
        ('【菜鸟驿站】请23:59前到站凭"72778"到桂城南约六区185号店站点领取您的顺丰*72778包裹。', "cainiao", "cainiao", "72778"),
        ("【菜鸟驿站】您的12月9日百世快递包裹等您很久了，请凭（3-5-6075）尽快到学院大门对面菜鸟驿站领取",
         "cainiao", "cainiao", "3-5-6075"),
        ("【丰巢】请凭取件码『12345678』至阳光小区3栋丰巢柜取中通快递的包裹", "cainiao", "fcbox", "12345678"),
        # 请用 + code; 货号 at campus stations
        ("【递管家】您的快递:*94650已到东门驿站，请用Q7-32到人工货架取包裹，咨询驿站工作人员",
         "cainiao", "pickup_station", "Q7-32"),
        ("【京东快递】货号JD2044你好，你的京东快递已到商服中心一楼京东派，请于下午1点前领取", "jd_logistics", "jd", "JD2044"),
        # small station brands and unknown signatures on a station notice
        ("【欢猫驿站】您的韵达快递包裹已到天和人家小区门面房，请凭D3-7508取件", "cainiao", "pickup_station", "D3-7508"),
        ("【袋鼠智柜】快递员提醒您，请凭取件码692035到4号柜圆通快递H17取您的快递", "cainiao", "pickup_station", "692035"),
        ("【南京某某需】您的中通包裹已到某镇菜鸟驿站3号柜284号格口，取件码4869-9777", "cainiao", "pickup_station", "4869-9777"),
        ("[兔喜生活]请凭552577至冠寓3号楼1号兔喜快递柜取件，免费存24小时，超时收0.50元", "cainiao", "pickup_station", "552577"),
        # J&T (极兔) has its own parser
        ("【极兔速递】请凭S21-22到极兔速递驿站取件，地址：长青路88号", "jt", "jt", "S21-22"),
        ("【极兔速递】请凭9-20-226到极兔领取运单尾号0100包裹", "jt", "jt", "9-20-226"),
    ],
)
def test_pickup_notices_real_wording(text: str, parser: str, platform: str, code: str) -> None:
    extraction = run(text)
    assert extraction.parser is not None and extraction.parser.name == parser
    [event] = extraction.events
    assert event.kind is EventKind.PICKUP_READY
    assert event.platform == platform
    assert event.pickup_code == code


def test_several_codes_in_one_sms_give_one_record_each() -> None:
    extraction = run("【菜鸟驿站】您有3个包裹到站，取件码为16-4-9626, 15-3-2194, 16-3-0906，凭码取件")
    assert [e.pickup_code for e in extraction.events] == ["16-4-9626", "15-3-2194", "16-3-0906"]
    assert {e.kind for e in extraction.events} == {EventKind.PICKUP_READY}


def test_codes_listed_with_chinese_commas_stop_at_the_place() -> None:
    text = "【妈妈驿站】3个包裹，取货码2-5-7077，2-5-7075，2-3-4346，中峰乡信用社斜对面圆通速递妈妈驿站"
    assert pickup_codes(text) == ["2-5-7077", "2-5-7075", "2-3-4346"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("取货码 A1 - 2 - 3456", "A1-2-3456"),
        ("凭326－4－6038到快递站取件", "326-4-6038"),
        ("请凭有效证件领取", None),
        ("凭此短信到店领取", None),
        ("订单号 326-4-6038", None),
    ],
)
def test_pickup_code_shapes(text: str, code: str | None) -> None:
    assert pickup_code(text) == code


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("凭4-6-7602到新郑龙湖31号楼店取件。", "新郑龙湖31号楼店"),
        ("您有一票快件放置于图书馆一楼收发室请17点半以前", "图书馆一楼收发室"),
        ("您有包裹已到达天和人家快递店，取件码为S3-2043", "天和人家快递店"),
    ],
)
def test_pickup_location(text: str, place: str) -> None:
    assert pickup_location(text) == place


@pytest.mark.parametrize(
    ("text", "parser", "kind"),
    [
        # "当天不取件为你代签收" warns; the parcel waits at the point
        ("【韵达快递】亲，您的运单4318765432101已为您放在青石镇韵达快递点，当天不取件为你代签收，有问题请联系快递员",
         "yunda", EventKind.PICKUP_READY),
        ("【韵达快递】浙江杭州公司西湖区分部 快递员 陈师傅16675540000 正在为您派件，请保持电话畅通", "yunda", EventKind.OUT_FOR_DELIVERY),
        ("【中通快递】您的快件73519876543210已由快递员赵师傅(13900001111)派送，请保持电话畅通。", "zto", EventKind.OUT_FOR_DELIVERY),
        ("【顺丰速运】您的快件已由物业代收，感谢使用顺丰。", "sf_express", EventKind.DELIVERED),
        ("【菜鸟驿站】您的包裹已取件，取件码8-3-2023已失效，感谢您的使用。", "cainiao", EventKind.DELIVERED),
        ("【京东物流】您的京东快递已送达北门前台，请联系前台取件", "jd_logistics", EventKind.PICKUP_READY),
        ("【丰巢】您有包裹超时未取，已产生超时费1元，请尽快取出", "cainiao", EventKind.PICKUP_READY),
        # "如拒收请联系…" is not a refusal, "以免丢失" not a loss
        ("【中通快递】取件码3-1-2204，包裹已到东门驿站，如拒收请联系快递员，请尽快取件以免丢失", "zto", EventKind.PICKUP_READY),
        ("您有一票快件放置于商服一楼请5点半以前，货号100，请持有效证件取件，收派员13100001111。【顺丰速运】",
         "sf_express", EventKind.PICKUP_READY),
        ("【极兔速递】您的快件JT3108765432109已签收，感谢使用极兔速递", "jt", EventKind.DELIVERED),
        # a station's 出库 is the parcel collected; a warehouse's 出库 a shipment
        ("【菜鸟驿站】您的包裹已出库，如非本人取件请及时联系驿站。", "cainiao", EventKind.DELIVERED),
        ("【兔喜生活】您的包裹已被取走，如有疑问请联系门店", "cainiao", EventKind.DELIVERED),
        ("【京东物流】您的订单已出库，正在发往北京分拣中心", "jd_logistics", EventKind.SHIPPED),
        # platform SMS
        ("【京东】您的订单已由京东快递派送，运单号JDVA12345678901，如有疑问请联系配送员。", "jd", EventKind.OUT_FOR_DELIVERY),
        ("【拼多多】您的商品在代收点已超6小时未取，为避免鲜活商品损坏，请尽快取件。", "pinduoduo", EventKind.PICKUP_READY),
        ("【多多买菜】您的商品已到自提点，提货码 8-8888，请于今日21:00前到阳光超市提货", "pinduoduo", EventKind.PICKUP_READY),
        ("【抖音】您的售后申请已通过，退款¥39.90将原路退回", "douyin", EventKind.RETURN_APPROVED),
        ("【淘宝】亲，您在某某旗舰店购买的宝贝已发货，中通快递73519876543210，请留意查收。退订回T", "taobao", EventKind.SHIPPED),
        ("【京东】您的服务单123456789已受理，请耐心等待审核。", "jd", EventKind.RETURN_REQUESTED),
        ("【京东】您的退款申请已处理，退款金额59.90元将于1-3个工作日原路返回，请注意查收。", "jd", EventKind.REFUND_ISSUED),
        ("【京东】您好，您的京东订单312345678901预计今天送达，配送员张三，电话13800000000", "jd", EventKind.OUT_FOR_DELIVERY),
        # "若有问题请在7天内申请售后" is advice, not an after-sales request
        ("【拼多多】您的快递已签收，若有问题请在7天内申请售后，别忘了给个好评哦", "pinduoduo", EventKind.DELIVERED),
    ],
)
def test_status_real_wording(text: str, parser: str, kind: EventKind) -> None:
    extraction = run(text)
    assert extraction.parser is not None and extraction.parser.name == parser
    assert [e.kind for e in extraction.events] == [kind]


def test_jt_tracking_number_is_read() -> None:
    [event] = run("【极兔速递】您的快件JT3108765432109已由极兔快递员李师傅派送，请保持电话畅通").events
    assert [(t.number, t.carrier) for t in event.tracking] == [("JT3108765432109", "jt")]


@pytest.mark.parametrize(
    "text",
    [
        "【拼多多】您的验证码是632588。请于5分钟内完成验证，若非本人操作，请忽略本短信。",
        "【京东】尊敬的用户，634561是您本次的身份验证码，30分钟内有效，请完成验证。",
        "【极兔速递】您的验证码为428531，您正在登录极兔速递小程序，5分钟内有效。",
        "【某App】动态验证码 33-3-0444 请在5分钟内输入",
        "【淘宝】亲爱的，拍下的交易剩下时间不多啦，即将要关闭了哦，喜欢的话抓紧时间付款。 退订回TD",
        "【淘宝】亲，您收藏的商品降价了，跨店满300减50，今晚24点结束",
        "【拼多多】您的好友邀请您帮忙砍一刀，还差0.3元即可提现200元，点击链接立即助力",
        "【菜鸟驿站】双11寄件5折，凭此短信到店领取优惠券，回T退订",
        "【丰巢】您的丰巢会员即将到期，续费立享8折，退订回T",
        "【美团】您的取餐码 A-3-315 请到店取餐",
        "【蜂鸟配送】您的订单已经送达，宿舍楼下外卖架位置，搜索719987领红包，如有问题请联系骑手",
        "[e测试]双节特惠:低至6折券已到您账户，节前提前锁优惠，拒收请回复R",
        "尊敬的客户，您兑换的订单1064己发货，单号123123123，请注意查收。【中国电信积分商城】",
        "【京东物流】京东快递寄件优惠券已到账，限时领取，戳 3.cn/abc 回TD退订",
        "【极兔速递】极兔寄件节：全国首重5元起，凭此短信到网点领取小礼品，退订回T",
        "【兔喜生活】兔喜超市周年庆，凭会员码到店领取鸡蛋一份，退订回T",
        "【中通快递】您的验证码是3829，用于寄件身份验证，请勿泄露",
    ],
)
def test_codes_promotions_and_strangers_stay_unidentified(text: str) -> None:
    extraction = run(text)
    assert extraction.events == []


def test_sms_forwarder_app_layout_number_sim_and_time_lines() -> None:
    """SmsForwarder mails the sender number, the SMS, a SIM line, the receive time and the device."""
    text = ("1069012345678\n【菜鸟驿站】您的包裹已到站，凭4-6-7602到龙湖花园31号楼店取件。\n"
            "SIM1_中国移动_186****0000\n2026-11-25 14:03:22\nRedmi Note 12")
    [event] = run(text).events
    assert event.pickup_code == "4-6-7602"
    assert dict(event.extra)["pickup_location"] == "龙湖花园31号楼店"
    assert event.occurred_at is not None and event.occurred_at.isoformat() == "2026-11-25T14:03:22+08:00"


def test_labelled_receive_time_line_is_the_time_not_message_text() -> None:
    text = "发件人：95546\n短信内容：【韵达快递】快递员陈师傅正在为您派件，请保持电话畅通\n接收时间：2026-11-24 10:05:00"
    [event] = run(text).events
    assert event.kind is EventKind.OUT_FOR_DELIVERY
    assert event.occurred_at is not None and event.occurred_at.isoformat() == "2026-11-24T10:05:00+08:00"


def test_signature_alone_on_its_line_opens_the_wrapped_message() -> None:
    [event] = run("【中通快递】\n取件码为D1-4-2586\n运单号731111111111").events
    assert (event.platform, event.kind, event.pickup_code) == ("zto", EventKind.PICKUP_READY, "D1-4-2586")
    assert [t.number for t in event.tracking] == ["731111111111"]


def test_closing_signature_on_its_own_line_still_closes_the_sentence_above() -> None:
    [event] = run("您的快件已签收，签收人：本人，感谢使用韵达快递。\n【韵达快递】").events
    assert (event.platform, event.kind) == ("yunda", EventKind.DELIVERED)


@pytest.mark.parametrize(
    ("text", "code", "place"),
    [
        ("取件码 B3-01175\n韵达快递超市代收点 | 富里红波精品超市", "B3-01175", "富里红波精品超市"),
        ("取件码 H-683\n东山极兔快递 | 苏果超市100米右侧停车场极兔快递", "H-683", "苏果超市100米右侧停车场极兔快递"),
    ],
)
def test_pickup_card_copied_from_a_shop_app(text: str, code: str, place: str) -> None:
    """Shopping apps let one copy the pickup card (no signature): code on one line, station | place below."""
    extraction = run(text)
    assert extraction.parser is not None and extraction.parser.name == "cainiao"
    [event] = extraction.events
    assert (event.kind, event.pickup_code) == (EventKind.PICKUP_READY, code)
    assert dict(event.extra)["pickup_location"] == place


def test_unsigned_code_text_without_a_station_is_nothing() -> None:
    assert run("您的验证码 3-2-1024，请勿泄露").events == []
    assert run("会议室取件码 3-2-1024").events == []
