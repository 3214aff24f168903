from __future__ import annotations

import pytest

from leadermail.platform.residences import mask_residence, public_region, residences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我住在岳麓区望月湖街道桃花苑小区3栋2单元501室，楼下的烧烤店油烟很大。",
         "我住在岳麓区望月湖街道***，楼下的烧烤店油烟很大。"),
        # Real letters (泰迪杯 2020).
        ("我住在A市A4区恒大雅苑35栋2407号。房子是2013年买的",
         "我住在A市A4区***。房子是2013年买的"),
        ("我叫戴宇作，家住临G5县新安镇原化垱村一组。去年，我向贵局反映",
         "我叫戴宇作，家住临G5县新安镇***。去年，我向贵局反映"),
        ("我家住A5区左家塘街道桂花村社区附31栋，因小区内多栋房屋",
         "我家住A5区左家塘街道***，因小区内多栋房屋"),
        ("我现在居住在山水湾小区，今年秋季入学", "我现在居住在***，今年秋季入学"),
        ("（本人住在双扬路对面的东岸城邦）", "（本人住在***对面的东岸城邦）"),
        ("我住幸福小区3栋2单元501室", "我住***"),
        ("本人住址：幸福小区3栋", "本人住址：***"),
        # The building of the writer's own home; the estate stays.
        ("我是桃花苑小区3栋2单元的业主，小区门口", "我是桃花苑小区***的业主，小区门口"),
        ("我是F9市富豪名城6栋的业主，现将富豪名城", "我是F9市富豪名城***的业主，现将富豪名城"),
    ],
)  # fmt: skip
def test_the_writer_home_goes_below_the_street(text: str, expected: str) -> None:
    assert mask_residence(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "家住B2区白关镇，2018年12月28日下午",  # nothing below the street
        "桃花苑小区3栋和5栋之间的绿地被烧烤店占用",  # the subject of the letter
        "我们是泰英汇景豪庭3栋、5栋、6栋的业主",  # a group's buildings: the subject
        "请求对自家住房外立面一起进行改造",
        "我们住在这里怎么生活，我们住在里面提心吊胆",
        "我家住在阳三石街道附近家中惨遭进水",
        "多家住户有同样反应，住院治疗，居住小区的噪音标准",
        "不制止，住在这样的小区，真是苦不堪言",
    ],
)
def test_other_places_stay(text: str) -> None:
    assert mask_residence(text) == text
    assert residences(text) == []


def test_residences_lists_what_is_masked() -> None:
    text = "我住在岳麓区望月湖街道桃花苑小区3栋2单元501室，我是桃花苑小区3栋的业主"
    assert residences(text) == ["桃花苑小区3栋2单元501室", "3栋"]


@pytest.mark.parametrize(
    ("region", "published"),
    [
        ("长沙市岳麓区望月湖街道", "长沙市岳麓区"),
        ("岳麓区望月湖街道", "岳麓区"),
        ("湖南省长沙市岳麓区", "湖南省长沙市岳麓区"),
        ("浏阳市集里街道", "浏阳市"),
        ("浏阳市沙市镇", "浏阳市"),
        ("长沙市望城区", "长沙市望城区"),
        ("K4县井头圩镇廖家村", "K4县"),
        ("湘西土家族苗族自治州吉首市乾州街道", "湘西土家族苗族自治州吉首市"),
        ("长沙市", "长沙市"),
        ("望月湖街道", None),
        ("桃花苑小区", None),
        ("", None),
        (None, None),
    ],
)
def test_public_region_down_to_the_district(region: str | None, published: str | None) -> None:
    assert public_region(region) == published
