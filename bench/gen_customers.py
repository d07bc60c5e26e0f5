#!/usr/bin/env python3
"""Writes N customer rows as CSV (UTF-8) for the benchmarks: realistic Chinese company names,
phones and contacts, all distinct. Usage: gen_customers.py N OUT.csv [--offset K]
(--offset numbers the rows from K, so two files never share a name or mobile)."""
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
offset = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--offset" else 0
rnd = random.Random(20261124 + offset)
cities = "北京 上海 广州 深圳 杭州 苏州 南京 成都 武汉 西安 重庆 天津 青岛 厦门 长沙 宁波".split()
words = "华信 宏达 鑫源 瑞丰 恒通 博远 中科 金桥 天成 永盛 海纳 东方 新锐 卓越 众诚 启明 汇丰 远航 盛世 立信".split()
trades = "科技 贸易 电子 机械 物流 食品 建材 医疗器械 信息技术 服装".split()
surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
given = "伟芳娜敏静强磊军洋勇艳杰涛明超"
with open(out, "w", encoding="utf-8", newline="") as f:
    f.write("客户名称,电话,级别,城市,联系人,手机\r\n")
    for i in range(offset, offset + n):
        name = f"{rnd.choice(cities)}{rnd.choice(words)}{rnd.choice(trades)}{i:07d}有限公司"
        phone = f"0{rnd.randint(10, 999)}-{rnd.randint(50000000, 89999999)}"
        contact = rnd.choice(surnames) + rnd.choice(given) + rnd.choice(given)
        mobile = f"1{rnd.randint(30, 89)}{i:08d}"
        f.write(f"{name},{phone},{'ABCD'[i % 4]},{rnd.choice(cities)},{contact},{mobile}\r\n")
