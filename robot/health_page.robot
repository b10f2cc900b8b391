*** Settings ***
Documentation       The service-health page in a real browser (headless Chromium): who may see it, and whether it
...                 shows each service's state, its circuit breaker and its stale answers live, as the companion
...                 pushes every change, without the page reloading. Time passes on the test clock.

Resource            ../resources/health_page.resource

Suite Setup         The Health Page Is Served
Test Setup          The Companion Watches Plex And Overseerr
Test Teardown       The Page Is Captured If The Test Failed

Test Tags           browser    dashboard


*** Test Cases ***
Sign-In Is Required
    [Documentation]    Opening the page without a session shows the sign-in form, and no service.
    When Someone Opens The Health Page
    Then The Sign-In Form Should Be Shown

A Wrong Password Is Refused
    [Documentation]    The admin's name with another password gets the form again with an error, and no session.
    When Someone With A Wrong Password Signs In To The Health Page
    Then The Sign-In Should Be Refused With    Wrong user name or password
    And The Sign-In Form Should Be Shown

A Non-Admin Is Refused The Page
    [Documentation]    A signed-in account without the admin role gets a clear 403 page, and no service.
    When A Non-Admin Signs In To The Health Page
    Then The Page Should Refuse With    403    for admins only

Plex Going Down Shows Live: Card Down, Breaker Open With A Countdown
    [Documentation]    The open page follows Plex going down without a reload: its card turns down, its breaker opens
    ...    and counts down to the next probe, the failed calls are counted, the summary counts it.
    ...    (``make docs`` runs this test alone, tag readme-picture, for the README's picture.)
    [Tags]    unavailable    readme-picture
    Given An Admin Has The Health Page Open
    When Plex Goes Down While The Companion Calls It
    Then The Plex Card Should Show Down
    And The Plex Breaker Should Show Open
    And The Plex Breaker Should Count Down To Its Next Probe
    And The Plex Card Should Count 3 Failed And 0 Rejected Calls
    And The Summary Should Count    totalServices=3    servicesDown=1    circuitBreakersOpen=1
    And The Page Should Have Updated Without Reloading
    And The Page Is Pictured For The README

The Countdown Reaching Zero Shows Half-Open
    [Documentation]    When the reset timeout has passed on the clock, the page shows the breaker half-open
    ...    (awaiting a probe) at once, although no call has reached pybreaker since.
    [Tags]    unavailable    recovery
    Given An Admin Has The Health Page Open
    And Plex Goes Down While The Companion Calls It
    And The Plex Breaker Should Show Open
    When 30 Seconds Pass
    Then The Plex Breaker Should Show Half-Open
    And The Summary Should Count    circuitBreakersOpen=0
    And The Page Should Have Updated Without Reloading

Recovery Turns The Plex Card Up Again
    [Documentation]    Plex back, the probe succeeds: the card shows up and the breaker closed, live.
    [Tags]    recovery
    Given An Admin Has The Health Page Open
    And Plex Goes Down While The Companion Calls It
    And The Plex Card Should Show Down
    When 30 Seconds Pass
    And Plex Comes Back And Answers The Companion's Probe
    Then The Plex Card Should Show Up
    And The Plex Breaker Should Show Closed
    And The Page Should Have Updated Without Reloading

A Stale Answer Shows Since When It Comes From The Cache
    [Documentation]    Plex unreachable, a read answered from the cache: the card says since when and why.
    [Tags]    fallback
    Given An Admin Has The Health Page Open
    And The Plex Libraries Were Read A Minute Ago
    When The Plex Service Is Unreachable
    And The Plex Libraries Are Requested While It Is Down
    Then The Plex Answers Should Be Served From Cache Since The Fallback
    And The Page Should Have Updated Without Reloading

A Service Message With Markup Is Shown As Text
    [Documentation]    Uptime Kuma's message for Plex holds a script and markup: the page shows them as text and runs
    ...    nothing.
    Given An Admin Has The Health Page Open
    When Uptime Kuma Reports Plex As Down Saying    <script>window.injected = 1</script><b>bold</b>
    Then The Plex Reason Should Read    <script>window.injected = 1</script><b>bold</b>
    And The Plex Card Should Show Down

Without JavaScript The Page Shows The State When It Was Loaded
    [Documentation]    With JavaScript off, the server-rendered page shows the same state, and says it is not live.
    Given Plex Goes Down While The Companion Calls It
    When An Admin Opens The Health Page Without JavaScript
    Then The Plex Card Should Show Down
    And The Plex Breaker Should Show Open
    And The Page Should Not Be Live

The Page Reconnects By Itself After The Companion Restarts
    [Documentation]    The companion stops and starts again on the same port: the open page reconnects on its own and
    ...    shows what changed meanwhile, still without a reload.
    Given An Admin Has The Health Page Open
    When The Companion Restarts
    Then The Page Should Be Live Again
    When Plex Goes Down While The Companion Calls It
    Then The Plex Card Should Show Down
    And The Page Should Have Updated Without Reloading
