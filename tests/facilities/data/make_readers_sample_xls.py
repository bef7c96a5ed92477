import datetime as dt
import sys

import xlwt

wb = xlwt.Workbook(encoding="utf-8")
date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
dt_style = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
ws = wb.add_sheet("명단")
header = ["이름", "전화", "주민번호", "생년월일", "방문일시", "수급", "금액", "", "비고"]
for c, h in enumerate(header):
    ws.write(0, c, h)
ws.write(1, 0, "김철수")
ws.write(1, 1, "010-1234-5678")
ws.write(1, 2, 8001011234567)
ws.write(1, 3, dt.date(1980, 1, 1), date_style)
ws.write(1, 4, dt.datetime(2024, 3, 5, 14, 30), dt_style)
ws.write(1, 5, True)
ws.write(1, 6, 1012345678.0)
ws.write(1, 8, 3.5)
ws.write(2, 0, "똠방각하")
ws.write(2, 1, 2)
# row 4 (index 3) left blank on purpose
ws.write(4, 0, "박영희")
ws2 = wb.add_sheet("기타")
ws2.write(2, 1, "코드")
ws2.write(2, 2, "값")
ws2.write(3, 1, "A1")
ws2.write(3, 2, 7)
wb.save(sys.argv[1])
