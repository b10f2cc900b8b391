*** Settings ***
Documentation       One scenario across Plex, Overseerr and Uptime Kuma, played from a fault schedule on the test
...                 clock (see ``resources/outage_schedule.resource``): Plex refuses connections for 40 s, Overseerr
...                 answers 503 from 2 s to 12 s, Uptime Kuma drops its sockets at 20 s. The dashboard's summary is
...                 checked at chosen moments; Uptime Kuma reports every monitor UP throughout, so what the
...                 dashboard shows about Plex and Overseerr comes from the app's own circuit breakers.

Resource            ../resources/outage_schedule.resource

Suite Setup         The Dashboard Watches Plex And Overseerr Through Uptime Kuma
Test Setup          The Dashboard Starts From A Clean State
Test Teardown       The Client Disconnects From Uptime Kuma

Test Tags           dashboard    circuit-breaker    unavailable    uptime-kuma


*** Test Cases ***
The Dashboard Follows A Three-Service Outage
    [Documentation]    At 0 s Plex's breaker opens (degraded: monitor up, breaker open); at 5 s Overseerr's too; after
    ...    20 s Uptime Kuma drops the client, which reconnects, and the dashboard reads Uptime Kuma again.
    Given The Three-Service Outage Schedule Is Playing
    When ${FAIL_MAX} Plex Calls Fail As Unavailable
    Then The Dashboard Summary Should Become    servicesUp=2    servicesDegraded=1    servicesDown=0    circuitBreakersOpen=1
    When 5 Seconds Pass
    And ${FAIL_MAX} Overseerr Calls Fail As Unavailable
    Then The Overseerr Breaker Should Have Opened After ${FAIL_MAX} Calls And ${OPENING_REQUESTS} Requests
    And The Dashboard Summary Should Become    servicesUp=1    servicesDegraded=2    servicesDown=0    circuitBreakersOpen=2
    When 15 Seconds Pass
    Then The Client Should Reconnect After Uptime Kuma Dropped It
    And The Dashboard Summary Should Become    servicesUp=1    servicesDegraded=2    servicesDown=0    circuitBreakersOpen=2

The Dashboard Is Back To Normal Once The Schedule Has Passed
    [Documentation]    After 45 s every fault is over and both breakers await a probe; one call to each closes it and the
    ...    dashboard shows every service up, with no request having reached either service while its breaker was open.
    [Tags]    recovery
    Given The Three-Service Outage Schedule Is Playing
    And The Schedule Has Opened The Plex And Overseerr Breakers
    When 40 Seconds Pass
    And The Client Should Reconnect After Uptime Kuma Dropped It
    And The Plex Server Info Is Requested
    And The Overseerr Status Is Requested
    Then The Dashboard Summary Should Become    servicesUp=3    servicesDegraded=0    servicesDown=0    circuitBreakersOpen=0
    And Exactly 1 Probe(s) Should Have Reached Plex While Half-Open
    And No Request Should Have Reached Plex While Its Breaker Was Open
    And No Request Should Have Reached Overseerr While Its Breaker Was Open
