"""Synthetic but plausible 工商 companies for demos and benchmarks.

Names read like 苏州瑞达信息技术有限公司 (city + trade name + industry + form); tax IDs
are unified social credit codes with the region code of the city, a GB 11714 organisation
code and a valid GB 32100-2015 check character. Rows go in with chunked executemany.
"""
import random
from datetime import date, timedelta

from webapp.core import taxid
from webapp.registry import local

CHUNK = 5000
ORG_ALPHABET = taxid.USCC_ALPHABET  # characters a USCC may carry

# city, province, region code, districts
CITIES = [
    ("苏州", "江苏省", "320500", ["工业园区", "姑苏区", "吴中区", "相城区", "虎丘区"]),
    ("南京", "江苏省", "320100", ["玄武区", "秦淮区", "建邺区", "江宁区"]),
    ("无锡", "江苏省", "320200", ["梁溪区", "滨湖区", "新吴区"]),
    ("上海", "", "310000", ["浦东新区", "徐汇区", "闵行区", "静安区", "嘉定区"]),
    ("北京", "", "110000", ["海淀区", "朝阳区", "丰台区", "西城区"]),
    ("深圳", "广东省", "440300", ["南山区", "福田区", "宝安区", "龙岗区"]),
    ("广州", "广东省", "440100", ["天河区", "越秀区", "番禺区", "黄埔区"]),
    ("东莞", "广东省", "441900", ["松山湖", "长安镇", "虎门镇"]),
    ("佛山", "广东省", "440600", ["禅城区", "南海区", "顺德区"]),
    ("杭州", "浙江省", "330100", ["西湖区", "滨江区", "余杭区", "萧山区"]),
    ("宁波", "浙江省", "330200", ["鄞州区", "海曙区", "北仑区"]),
    ("成都", "四川省", "510100", ["武侯区", "高新区", "锦江区"]),
    ("武汉", "湖北省", "420100", ["洪山区", "江汉区", "东湖新技术开发区"]),
    ("西安", "陕西省", "610100", ["雁塔区", "未央区", "高新区"]),
    ("天津", "", "120000", ["滨海新区", "和平区", "南开区"]),
    ("重庆", "", "500000", ["渝北区", "江北区", "九龙坡区"]),
    ("厦门", "福建省", "350200", ["思明区", "湖里区", "集美区"]),
    ("青岛", "山东省", "370200", ["市南区", "黄岛区", "崂山区"]),
    ("济南", "山东省", "370100", ["历下区", "槐荫区", "高新区"]),
    ("长沙", "湖南省", "430100", ["岳麓区", "芙蓉区", "雨花区"]),
    ("郑州", "河南省", "410100", ["金水区", "中原区", "郑东新区"]),
    ("合肥", "安徽省", "340100", ["蜀山区", "包河区", "高新区"]),
    ("福州", "福建省", "350100", ["鼓楼区", "台江区", "仓山区"]),
    ("昆明", "云南省", "530100", ["五华区", "盘龙区", "官渡区"]),
]
TRADE_CHARS = ("华盛瑞泰鑫恒达兴远博创汇德宏信嘉凯丰金新天明宇正安和美诚联源润晨卓越腾飞"
               "龙海阳光辉启航智云峰睿志诺亿通利众力佳伟广宁康永昌隆盈顺汉唐")
# industry word, company-type hint, business scope
INDUSTRIES = [
    ("科技", "技术开发、技术咨询、技术服务、技术转让；计算机软硬件的销售。"),
    ("信息技术", "信息技术咨询服务；软件开发；信息系统集成服务；数据处理和存储支持服务。"),
    ("网络科技", "网络技术服务；互联网信息服务；广告设计、代理；电子产品销售。"),
    ("智能科技", "人工智能应用软件开发；智能控制系统集成；物联网技术服务。"),
    ("电子", "电子元器件制造；电子产品销售；集成电路设计。"),
    ("贸易", "货物进出口；技术进出口；日用百货、五金产品、建筑材料的销售。"),
    ("实业", "实业投资；企业管理咨询；建筑材料、机械设备的销售。"),
    ("建设工程", "建设工程施工；建筑劳务分包；市政设施管理；园林绿化工程施工。"),
    ("物流", "道路货物运输；国内货物运输代理；仓储服务（不含危险化学品）。"),
    ("供应链管理", "供应链管理服务；国内贸易代理；货物进出口；仓储服务。"),
    ("医药", "药品批发；医疗器械经营；保健食品销售。"),
    ("生物科技", "生物技术研发、技术推广；化妆品批发；实验分析仪器销售。"),
    ("新材料", "新材料技术研发；塑料制品制造；合成材料销售。"),
    ("环保科技", "环保技术推广服务；污水处理及其再生利用；固体废物治理。"),
    ("文化传媒", "组织文化艺术交流活动；广告制作；影视节目制作；会议及展览服务。"),
    ("企业管理咨询", "企业管理咨询；商务信息咨询；市场营销策划；财务咨询。"),
    ("机械设备", "通用设备制造；机械设备租赁；机械零部件加工及销售。"),
    ("食品", "食品经营；农副产品销售；预包装食品批发。"),
    ("餐饮管理", "餐饮服务；餐饮管理；食品经营（销售散装食品）。"),
    ("房地产开发", "房地产开发经营；物业管理；房地产经纪。"),
    ("投资管理", "投资管理；资产管理；股权投资（未经金融等监管部门批准不得从事吸收存款等金融业务）。"),
    ("电力工程", "电力设施承装、承修、承试；输电、供电、受电电力设施的安装、维修和试验。"),
    ("农业发展", "农作物种植；蔬菜、水果种植；农产品初加工；农业技术推广。"),
    ("教育科技", "教育咨询服务（不含涉许可审批的教育培训活动）；教育软件开发。"),
    ("汽车服务", "汽车销售；机动车维修；汽车零配件零售；二手车经纪。"),
]
FORMS = [  # (suffix, 企业类型, weight)
    ("有限公司", "有限责任公司(自然人投资或控股)", 60),
    ("有限公司", "有限责任公司(自然人独资)", 12),
    ("有限公司", "有限责任公司(法人独资)", 10),
    ("股份有限公司", "股份有限公司(非上市、自然人投资或控股)", 8),
    ("有限责任公司", "有限责任公司(国有独资)", 3),
    ("集团有限公司", "有限责任公司(自然人投资或控股)", 3),
    ("有限公司", "有限责任公司(外商投资企业法人独资)", 4),
]
STATUSES = [("存续", 80), ("在业", 10), ("注销", 5), ("吊销，未注销", 3), ("迁出", 2)]
CAPITALS = ["10万元人民币", "50万元人民币", "100万元人民币", "200万元人民币", "500万元人民币",
            "1000万元人民币", "3000万元人民币", "5000万元人民币", "1亿元人民币", "300万美元"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华建国志红文辉玉兰鹏飞云海波宁"
ROADS = ["人民路", "中山路", "解放路", "建设路", "科技路", "星湖街", "金鸡湖大道", "长江路",
         "和平路", "创新大道", "学府路", "滨河路", "东环路", "新华路"]
USCC_REFORM = date(2015, 10, 1)
START, SPAN = date(1995, 1, 1), (date(2025, 6, 30) - date(1995, 1, 1)).days


def org_code(body8: str) -> str:
    """An organisation code (GB 11714): 8 characters and their check character."""
    return body8 + taxid.org_check_character(body8)


def fake_tax_id(rnd: random.Random, region: str, established: date) -> str:
    """A unified social credit code for an enterprise (91) registered in `region`; companies
    founded after the 2015 reform mostly carry the new "MA…" organisation codes."""
    if established >= USCC_REFORM and rnd.random() < 0.8:
        body = "MA" + "".join(rnd.choices(ORG_ALPHABET, k=6))
    else:
        body = "".join(rnd.choices("0123456789", k=8))
    return taxid.compose("91" + region, body)


def _weighted(options):
    return [o for o in options for _ in range(o[-1])]


class Faker:
    """Company rows from a seeded random source; names and tax IDs unique within a run."""

    def __init__(self, seed: int | None = None):
        self.rnd = random.Random(seed)
        self.forms = _weighted(FORMS)
        self.statuses = [s for s, w in STATUSES for _ in range(w)]
        self.names: set[str] = set()
        self.tax_ids: set[str] = set()

    def trade_name(self) -> str:
        return "".join(self.rnd.choices(TRADE_CHARS, k=3 if self.rnd.random() < 0.3 else 2))

    def company(self) -> dict:
        rnd = self.rnd
        city, province, region, districts = rnd.choice(CITIES)
        industry, scope = rnd.choice(INDUSTRIES)
        suffix, company_type, _ = rnd.choice(self.forms)
        name = f"{city}{self.trade_name()}{industry}{suffix}"
        while name in self.names:
            name = f"{city}{self.trade_name()}{industry}{suffix}"
        self.names.add(name)
        established = START + timedelta(days=rnd.randrange(SPAN))
        tax_id = fake_tax_id(rnd, region, established)
        while tax_id in self.tax_ids:
            tax_id = fake_tax_id(rnd, region, established)
        self.tax_ids.add(tax_id)
        district = rnd.choice(districts)
        city_name = city + "市"
        return {
            "tax_id": tax_id,
            "name": name,
            "legal_rep": rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2)))),
            "registered_capital": rnd.choice(CAPITALS),
            "established_on": established.isoformat(),
            "reg_status": rnd.choice(self.statuses),
            "company_type": company_type,
            "address": f"{province}{city_name}{district}{rnd.choice(ROADS)}{rnd.randrange(1, 999)}号",
            "authority": f"{city_name}{district}市场监督管理局" if rnd.random() < 0.5
            else f"{city_name}市场监督管理局",
            "business_scope": scope + "（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        }


def generate(count: int, seed: int | None = None, progress=None) -> int:
    """Upsert `count` synthetic companies in chunks; `progress(n)` after each chunk."""
    faker = Faker(seed)
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        local.upsert([faker.company() for _ in range(size)])
        done += size
        if progress:
            progress(size)
    return done
