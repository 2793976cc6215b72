"""Every role's pages in headless Chromium against the real services
(PostgreSQL, the bridge, the ACD, Asterisk): the entry page sends each role
to its start page and a page says so when a role may not see it; an agent
registers and dispatches an order, a unit handler on a phone-sized window
accepts it and feeds back with a photo scaled down on the device, the agent
closes it; on the callback queue one click rings the agent's seat phone and
then the citizen (a sipp party on the partner trunk) with the hotline's
number, and the verdict is recorded; a shift lead sees an overdue order on
the supervision ledger and decides a reassign request; an administrator
adds a user, a unit, a subject and an article. Screenshots of each page are
kept as test artefacts."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid

import httpx
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from testkit.browser import PAGES, artefacts, log_in, until

pytestmark = pytest.mark.browser
SEAT = "1003"


def user(ticketing_service, role: str, **kw) -> tuple[str, dict]:
    """A new user of `role` (a fresh name per test); its name and header."""
    name = f"{role[:5]}{uuid.uuid4().hex[:6]}"
    return name, ticketing_service.user(name, role, **kw)


def password(name: str) -> str:
    return f"password-of-{name}"


def units(ticketing_service) -> dict[str, int]:
    found = httpx.get(f"{ticketing_service.base}/units", headers=ticketing_service.admin, timeout=5)
    return {u["code"]: u["id"] for u in found.json()}


def api(ticketing_service, headers: dict, method: str, path: str, **kw) -> dict:
    response = httpx.request(
        method, f"{ticketing_service.base}{path}", headers=headers, timeout=5, **kw
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else {}


def step(ticketing_service, headers: dict, order: dict, action: str, **fields) -> dict:
    return api(
        ticketing_service,
        headers,
        "POST",
        f"/orders/{order['id']}/transitions",
        json={"action": action, "version": order["version"], **fields},
    )


def enter(browser, name: str) -> str:
    """Log in on the entry page; the path it sends the user to."""
    log_in(browser, "", name, password(name))
    return until(
        browser,
        lambda d: (
            d.current_url.split("?")[0].removeprefix(PAGES) != "/"
            and d.current_url.removeprefix(PAGES)
        ),
        15,
        "the start page",
    )


def fresh_session(browser) -> None:
    browser.get(f"{PAGES}/")
    browser.execute_script("sessionStorage.clear()")


def test_each_role_starts_on_its_own_page_and_is_told_where_it_may_not_go(
    pbx, live_desk, ticketing_service, browser
):
    urban = units(ticketing_service)["dept-urban"]
    # an agent with a seat starts on the desk (the callback test below); one
    # without a seat phone on the orders
    starts = {"agent": "/orders", "shift_lead": "/ledger", "unit_handler": "/unit",
              "leader": "/reports", "admin": "/admin"}  # fmt: skip
    for role, start in starts.items():
        fresh_session(browser)
        name, _ = user(ticketing_service, role, unit_id=urban if role == "unit_handler" else None)
        assert enter(browser, name) == start, role
    # a unit handler opening the lead's ledger is told it is not theirs
    fresh_session(browser)
    handler, _ = user(ticketing_service, "unit_handler", unit_id=urban)
    enter(browser, handler)
    browser.get(f"{PAGES}/ledger")
    refusal = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".refused"), 10, "refusal")
    assert "此页面仅供值班长使用" in refusal[0].text and "承办人" in refusal[0].text
    browser.save_screenshot(str(artefacts() / "role-refused.png"))
    # not logged in: a page sends to the entry page, which sends back after
    fresh_session(browser)
    browser.get(f"{PAGES}/orders")
    until(browser, lambda d: "next=%2Forders" in d.current_url, 10, "the entry page")
    agent, _ = user(ticketing_service, "agent")
    browser.find_element(By.NAME, "username").send_keys(agent)
    browser.find_element(By.NAME, "password").send_keys(password(agent))
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    until(browser, lambda d: d.current_url == f"{PAGES}/orders", 10, "back on the orders page")
    assert "token" not in browser.current_url
    browser.save_screenshot(str(artefacts() / "orders-empty.png"))


def test_an_order_goes_round_the_loop_through_the_pages(
    pbx, live_desk, ticketing_service, browser, tmp_path
):
    urban = units(ticketing_service)["dept-urban"]
    agent, agent_headers = user(ticketing_service, "agent")
    handler, _ = user(ticketing_service, "unit_handler", unit_id=urban)
    # the agent registers a walk-in request and dispatches it through the tree
    fresh_session(browser)
    enter(browser, agent)
    browser.get(f"{PAGES}/orders")
    until(browser, lambda d: d.find_element(By.ID, "btn-new").is_displayed(), 10, "the orders page")
    browser.find_element(By.ID, "btn-new").click()
    form = browser.find_element(By.ID, "new-order")
    content = f"和平社区8号楼楼道灯不亮 {uuid.uuid4().hex[:4]}"
    form.find_element(By.NAME, "content").send_keys(content)
    form.find_element(By.NAME, "phone").send_keys("13912345678")
    form.find_element(By.NAME, "address").send_keys("和平社区8号楼")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    number = until(browser, lambda d: d.find_element(By.ID, "order-number").text, 10, "the order")
    assert browser.find_element(By.ID, "order-state").text == "受理"

    def act(action: str) -> None:
        until(
            browser,
            lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-action={action}]"),
            10,
            f"the {action} button",
        )
        browser.find_element(By.CSS_SELECTOR, f"[data-action={action}]").click()

    def confirm(state: str) -> None:
        browser.find_element(By.ID, "btn-act").click()
        until(browser, lambda d: d.find_element(By.ID, "order-state").text == state, 10, state)

    # what the transition table allows an agent on a new complaint: 立案 only
    buttons = [
        b.get_attribute("data-action")
        for b in browser.find_elements(By.CSS_SELECTOR, "#actions button")
    ]
    assert buttons == ["register"]
    act("register")
    confirm("立案")
    act("dispatch")
    row = next(
        r
        for r in browser.find_elements(By.CSS_SELECTOR, "#unit-picker .unit-row")
        if "区城市管理委员会" in r.text
    )
    row.find_element(By.CSS_SELECTOR, "input[type=radio]").click()
    confirm("已派遣")
    timeline = browser.find_element(By.ID, "timeline").text
    assert "立案" in timeline and "派遣" in timeline and agent in timeline
    browser.save_screenshot(str(artefacts() / "orders-dispatched.png"))

    # the unit handler, on a phone: accepts and feeds back with a photo
    browser.set_window_size(390, 844)
    fresh_session(browser)
    assert enter(browser, handler) == "/unit"
    card = until(
        browser,
        lambda d: [
            c
            for c in d.find_elements(By.CSS_SELECTOR, "article.card")
            if c.get_attribute("data-number") == number
        ],
        10,
        "the card",
    )
    assert "138****" not in card[0].text  # the list shows no numbers at all
    card[0].click()
    until(browser, lambda d: d.find_element(By.ID, "btn-accept").is_displayed(), 10, "签收")
    assert "139****5678" in browser.find_element(By.ID, "unit-order").text  # masked
    browser.find_element(By.ID, "btn-accept").click()
    until(browser, lambda d: d.find_element(By.ID, "btn-show-feedback").is_displayed(), 10, "反馈")
    browser.find_element(By.ID, "btn-show-feedback").click()
    photo = tmp_path / "site.png"
    Image.new("RGB", (3000, 2000), (200, 120, 40)).save(photo)
    browser.find_element(By.NAME, "note").send_keys("已更换楼道灯泡, 恢复照明")
    browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(photo))
    until(
        browser,
        lambda d: "1 张照片" in d.find_element(By.CSS_SELECTOR, "#feedback-form .note").text,
        10,
        "the scaled photo",
    )
    # a phone page: nothing wider than the screen
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.save_screenshot(str(artefacts() / "unit-feedback.png"))
    browser.find_element(By.ID, "btn-feedback").click()
    until(
        browser, lambda d: "反馈已提交" in d.find_element(By.ID, "unit-order").text, 15, "feedback"
    )
    order = next(
        o
        for o in api(ticketing_service, agent_headers, "GET", "/orders", params={"q": number})[
            "items"
        ]
    )
    assert order["state"] == "feedback"
    [attachment] = api(
        ticketing_service, agent_headers, "GET", f"/orders/{order['id']}/attachments"
    )
    assert attachment["content_type"] == "image/jpeg"
    data = httpx.get(
        f"{ticketing_service.base}/orders/{order['id']}/attachments/{attachment['id']}",
        headers=agent_headers,
        timeout=5,
    ).content
    assert max(Image.open(io.BytesIO(data)).size) == 1280  # scaled down on the phone

    # the agent closes it
    browser.set_window_size(1366, 768)
    fresh_session(browser)
    enter(browser, agent)
    browser.get(f"{PAGES}/orders#{order['id']}")
    until(browser, lambda d: d.find_element(By.ID, "order-number").text == number, 10, "the order")
    assert "已更换楼道灯泡" in browser.find_element(By.ID, "timeline").text
    assert attachment["filename"] in browser.find_element(By.ID, "order").text
    # the photo is shown on the order page, decoded at the size the phone sent
    width = until(browser, lambda d: d.execute_script(
        "const i = document.querySelector('.attachments img.preview');"
        "return i && i.complete && Math.max(i.naturalWidth, i.naturalHeight);"), 10,
        "the photo's preview")  # fmt: skip
    assert width == 1280
    act("close")
    confirm("已办结")
    browser.save_screenshot(str(artefacts() / "orders-closed.png"))


def accepted_order(ticketing_service, content: str, phone: str | None = None) -> tuple[dict, dict]:
    """An order registered, dispatched to the urban department and accepted
    there, by the API (the pages' part is the test above); and the header of
    the unit handler who accepted it."""
    ids = units(ticketing_service)
    _, agent = user(ticketing_service, "agent")
    _, handler = user(ticketing_service, "unit_handler", unit_id=ids["dept-urban"])
    body = {"channel": "phone", "type": "help", "content": content}
    if phone:
        body["caller"] = {"phone": phone}
    order = api(ticketing_service, agent, "POST", "/orders", json=body)
    order = step(ticketing_service, agent, order, "register")
    order = step(ticketing_service, agent, order, "dispatch", unit_id=ids["dept-urban"])
    return step(ticketing_service, handler, order, "accept"), handler


def closed_order(ticketing_service, phone: str) -> dict:
    """An order through the loop to 办结: it waits on the callback queue."""
    order, handler = accepted_order(ticketing_service, "门口井盖松动", phone)
    _, lead = user(ticketing_service, "shift_lead")
    order = step(ticketing_service, handler, order, "feedback", note="已固定井盖")
    return step(ticketing_service, lead, order, "close")


async def test_one_click_rings_the_seat_then_the_citizen_and_the_verdict_is_recorded(
    pbx, live_desk, ticketing_service, browser, seat_phones, center, ami
):
    order = closed_order(ticketing_service, "13987654321")
    seat_phones(SEAT)
    center()  # the citizen: a sipp party on the partner trunk
    # the suite's user of seat 1003 (a seat belongs to one user)
    agent = f"desk{SEAT}"
    headers = ticketing_service.user(agent, "agent", seat=SEAT)
    fresh_session(browser)
    assert enter(browser, agent) == "/desk"
    until(browser, lambda d: d.find_element(By.ID, "seat-id").text == SEAT, 15, "the desk")
    browser.find_element(By.ID, "btn-login").click()
    until(
        browser,
        lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state") == "ready",
        15,
        "the seat to be ready",
    )
    browser.get(f"{PAGES}/callbacks")
    row = until(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f"#callback-queue tr[data-order='{order['number']}']"
        ),
        10,
        "the task",
    )
    until(
        browser, lambda d: d.find_element(By.ID, "dial-status").text == "已连接", 10, "the bridge"
    )
    start = len(ami.events)
    row[0].find_element(By.CSS_SELECTOR, "button.dial").click()
    seat_up = await ami.wait_for(
        "Newstate",
        lambda e: (
            e.get("Channel", "").startswith(f"PJSIP/agent{SEAT}-")
            and e.get("ChannelStateDesc") == "Up"
        ),
        timeout=20,
    )
    dial = await ami.wait_for(
        "DialBegin",
        lambda e: (
            e.get("Channel", "").startswith(f"PJSIP/agent{SEAT}-")
            and "partner-trunk" in e.get("DestChannel", "")
        ),
        timeout=20,
    )
    assert ami.events.index(seat_up) >= start
    # the seat rang and answered first; then the citizen was dialled with
    # the hotline's number (Asterisk's own event times)
    assert float(seat_up["Timestamp"]) <= float(dial["Timestamp"])
    assert dial["CallerIDNum"] == "12345" and dial["DialString"].startswith("13987654321")
    answered = await ami.wait_for(
        "DialEnd", lambda e: e.get("DestChannel") == dial["DestChannel"], timeout=20
    )
    assert answered["DialStatus"] == "ANSWER"
    assert "振铃" in browser.find_element(By.ID, "dial-status").text
    browser.save_screenshot(str(artefacts() / "callbacks-dialling.png"))
    # the agent's phone hangs up (the observer may not: it only reads)
    await asyncio.to_thread(pbx.cli, f"channel request hangup {dial['Channel']}")
    await ami.wait_for("Hangup", lambda e: e.get("Channel") == dial["Channel"], timeout=20)
    # the verdict, from the page
    row[0].find_element(By.CSS_SELECTOR, "button[data-verdict=satisfied]").click()
    until(
        browser,
        lambda d: (
            not d.find_elements(
                By.CSS_SELECTOR, f"#callback-queue tr[data-order='{order['number']}']"
            )
        ),
        10,
        "done",
    )
    done = api(ticketing_service, headers, "GET", "/callbacks", params={"status": "done"})["items"]
    assert next(t for t in done if t["order_id"] == order["id"])["verdict"] == "satisfied"
    # every dial is in the audit log: who asked for which order
    audit = api(
        ticketing_service,
        ticketing_service.admin,
        "GET",
        "/audit",
        params={"target": f"order:{order['id']}"},
    )
    assert any(a["action"] == "dial" for a in audit)
    # the callback was recorded from the seat's leg, under the call id the
    # work-order service gave it, and the recording is on the order
    calls = api(ticketing_service, headers, "GET", f"/orders/{order['id']}")["calls"]
    [call_id] = [c for c in calls if c.startswith("cb")]
    assert dial["Uniqueid"] == call_id  # Asterisk's own id of the seat's leg

    def recorded() -> dict | None:
        answer = httpx.get(f"{ticketing_service.base}/recordings/{call_id}", headers=headers,
                           timeout=5)  # fmt: skip
        return answer.json() if answer.status_code == 200 else None

    found = until(browser, lambda _: recorded(), 20, "the callback's recording")
    assert (found["kind"], found["seat"], found["order_ids"]) == ("callback", SEAT, [order["id"]])
    browser.get(f"{PAGES}/desk")
    until(browser, lambda d: d.find_element(By.ID, "seat-id").text == SEAT, 15, "the desk")
    browser.find_element(By.ID, "btn-logout").click()
    until(
        browser,
        lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state") == "logged_out",
        15,
        "the seat logged out",
    )


def test_the_shift_lead_sees_the_overdue_order_and_decides_the_reassign_request(
    pbx, live_desk, ticketing_service, browser
):
    import sqlalchemy as sa

    from ticketing.database import make_engine

    ids = units(ticketing_service)
    order, handler = accepted_order(ticketing_service, "河道有垃圾漂浮")
    lead, _ = user(ticketing_service, "shift_lead")
    _, agent = user(ticketing_service, "agent")
    api(
        ticketing_service,
        handler,
        "POST",
        f"/orders/{order['id']}/reassign-requests",
        json={"reason": "河道归水务局管理"},
    )
    engine = make_engine(ticketing_service.env["YHT_TICKETING_DATABASE_URL"])
    with engine.begin() as conn:  # its time limit passed a day ago
        conn.execute(
            sa.text("UPDATE work_orders SET due_at = :due WHERE id = :id"),
            {"due": dt.datetime.now(dt.UTC) - dt.timedelta(days=1), "id": order["id"]},
        )
    engine.dispose()
    fresh_session(browser)
    assert enter(browser, lead) == "/ledger"
    browser.find_element(By.ID, "btn-scan").click()
    until(
        browser,
        lambda d: order["number"] in d.find_element(By.ID, "ledger").text,
        15,
        "the overdue order on the ledger",
    )
    request = until(
        browser,
        lambda d: [
            r
            for r in d.find_elements(By.CSS_SELECTOR, ".request")
            if r.get_attribute("data-order") == order["number"]
        ],
        10,
        "the reassign request",
    )
    assert "河道归水务局管理" in request[0].text
    Select(request[0].find_element(By.CSS_SELECTOR, "select.reassign-to")).select_by_value(
        str(ids["dept-water"])
    )
    browser.save_screenshot(str(artefacts() / "ledger.png"))
    request[0].find_element(By.CSS_SELECTOR, "button.approve").click()
    until(
        browser,
        lambda d: (
            not [
                r
                for r in d.find_elements(By.CSS_SELECTOR, ".request")
                if r.get_attribute("data-order") == order["number"]
            ]
        ),
        10,
        "the request decided",
    )
    after = api(ticketing_service, agent, "GET", f"/orders/{order['id']}")
    assert after["unit_id"] == ids["dept-water"] and after["state"] == "dispatched"


def test_an_administrator_adds_a_user_a_unit_a_subject_and_an_article(
    pbx, live_desk, ticketing_service, browser
):
    admin = "admin"
    fresh_session(browser)
    log_in(browser, "", admin, ticketing_service.env["YHT_TICKETING_ADMIN_PASSWORD"])
    until(browser, lambda d: d.current_url == f"{PAGES}/admin", 15, "the admin page")
    tag = uuid.uuid4().hex[:6]
    form = until(browser, lambda d: d.find_element(By.ID, "user-form"), 10, "the user form")
    form.find_element(By.NAME, "username").send_keys(f"new{tag}")
    form.find_element(By.NAME, "display_name").send_keys("新话务员")
    form.find_element(By.NAME, "password").send_keys("初始密码-0123456789")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    row = until(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-user='new{tag}']"),
        10,
        "the new user",
    )
    row[0].find_element(By.CSS_SELECTOR, ".reset-password").send_keys("重置后的密码-2026")
    row[0].find_element(By.CSS_SELECTOR, "button.reset").click()
    until(browser, lambda d: "已重置" in d.find_element(By.CSS_SELECTOR, "p.ok").text, 10, "reset")
    token = httpx.post(
        f"{ticketing_service.base}/auth/token",
        timeout=5,
        json={"username": f"new{tag}", "password": "重置后的密码-2026"},
    )
    assert token.status_code == 200
    browser.find_element(By.ID, "tab-units").click()
    form = browser.find_element(By.ID, "unit-form")
    form.find_element(By.NAME, "code").send_keys(f"cm-{tag}")
    form.find_element(By.NAME, "name").send_keys(f"新华社区{tag}")
    Select(form.find_element(By.NAME, "parent_id")).select_by_value(
        str(units(ticketing_service)["st-xicheng"])
    )
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f"li[data-code='cm-{tag}']"),
        10,
        "the new unit in the tree",
    )
    # the subjects it takes, from the page (派遣 proposes it for them)
    new_unit = browser.find_element(By.CSS_SELECTOR, f"li[data-code='cm-{tag}']")
    new_unit.find_element(By.CSS_SELECTOR, "button.categories").click()
    asked = until(browser, lambda d: d.switch_to.alert, 5, "the categories prompt")
    asked.send_keys("heating, water")
    asked.accept()
    in_tree = f"li[data-code='cm-{tag}']"
    until(browser, lambda d: "heating,water" in d.find_element(By.CSS_SELECTOR, in_tree).text,
          10, "the categories in the tree")  # fmt: skip
    listed = api(ticketing_service, ticketing_service.admin, "GET", "/units")
    assert next(u for u in listed if u["code"] == f"cm-{tag}")["categories"] == ["heating", "water"]
    browser.find_element(By.ID, "tab-subjects").click()
    form = browser.find_element(By.ID, "subject-form")
    form.find_element(By.NAME, "code").send_keys(f"sub{tag}")
    form.find_element(By.NAME, "name").send_keys("电梯故障")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(browser, lambda d: f"sub{tag}" in d.find_element(By.ID, "subjects").text, 10, "subject")
    browser.find_element(By.ID, "tab-kb").click()
    form = browser.find_element(By.ID, "article-form")
    form.find_element(By.NAME, "title").send_keys(f"电梯困人处置 {tag}")
    form.find_element(By.NAME, "body").send_keys("电梯困人请立即拨打电梯内的应急电话, 并联系物业")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-article='电梯困人处置 {tag}']"),
        10,
        "the article",
    )
    browser.save_screenshot(str(artefacts() / "admin-kb.png"))
    # the desk's search finds it at once
    found = api(
        ticketing_service, ticketing_service.agent, "GET", "/kb/search", params={"q": "电梯困人"}
    )
    assert any(a["title"] == f"电梯困人处置 {tag}" for a in found)
