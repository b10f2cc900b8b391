*** Settings ***
Documentation       The companion as two worker processes sharing one real Redis (``state_url``): a breaker opened
...                 through one worker holds for the other, one half-open probe runs across both, a stale answer
...                 cached by one is served by the other and survives a restart, and Redis being killed or paused
...                 never stops the workers from answering.

Resource            ../resources/shared_state.resource

Suite Setup         Mock Plex And Overseerr Are Started
Test Setup          Plex Is Back To Normal And Redis Runs

Test Tags           shared-state    companion-app


*** Test Cases ***
A Breaker Opened Through One Worker Makes The Other Fail Fast
    [Documentation]    ${FAIL_MAX} failed calls through worker A open the Plex breaker in Redis: worker B's call
    ...    fails fast, and no request of B's reaches Plex.
    [Tags]    circuit-breaker    plex    unavailable
    Given The Companion Runs With 2 Workers Sharing Redis
    And The Plex Service Answers Every Request With 503
    When Worker A Has Failed ${FAIL_MAX} Plex Calls
    Then Worker B Should Fail Fast With An Open Circuit Without Reaching Plex

Exactly One Half-Open Probe Runs Across Both Workers
    [Documentation]    After the reset timeout worker A's call is the probe (Plex answers it slowly); worker B, asking
    ...    meanwhile, is answered stale because that probe is in flight: one request reaches Plex.
    [Tags]    circuit-breaker    plex    recovery
    Given The Companion Runs With 2 Workers Sharing Redis
    And Worker A Has Read The Plex Libraries
    And The Plex Breaker Has Been Opened Through Worker A
    And Plex Has Recovered But Answers In ${SLOW_PROBE}
    When 30 Seconds Pass
    And Worker B Reads The Plex Libraries While Worker A Probes
    Then Exactly One Request Should Have Reached Plex From Both Workers
    And Worker B Should Have Been Refused Because Worker A Was Probing

A Stale Answer Cached By One Worker Is Served By The Other
    [Documentation]    Worker A read the libraries; Plex goes away; past the cache TTL worker B, which never read
    ...    them, answers them stale from Redis, saying why.
    [Tags]    fallback    plex    unavailable
    Given The Companion Runs With 2 Workers Sharing Redis
    And Worker A Has Read The Plex Libraries
    And The Plex Service Is Unreachable
    When 1 Minute Passes
    And Worker B Reads The Plex Libraries
    Then Worker B Should Have Answered The Libraries Stale Because    connection refused

A Restarted Companion Still Serves The Cached Answer While Plex Is Down
    [Documentation]    The cache is in Redis, not in the workers: after the companion is restarted (new workers),
    ...    the libraries read before are still answered, stale, while Plex is unreachable.
    [Tags]    fallback    plex    recovery
    Given The Companion Runs With 2 Workers Sharing Redis
    And Worker A Has Read The Plex Libraries
    And The Plex Service Is Unreachable
    When The Companion Is Restarted With New Workers
    And 1 Minute Passes
    And Worker B Reads The Plex Libraries
    Then Worker B Should Have Answered The Libraries Stale Because    connection refused

Both Workers Keep Serving With Redis Killed And Report The State Store Degraded
    [Documentation]    With Redis killed each worker answers from its own memory and its dashboard shows the state
    ...    store degraded; once Redis is back and the reconnect backoff (1 s) has passed, both report it up.
    [Tags]    fallback    unavailable    recovery
    Given The Companion Runs With 2 Workers Sharing Redis
    And Both Workers Have Read The Plex Libraries
    When Redis Is Killed
    And The Plex Service Is Unreachable
    And 1 Minute Passes
    Then Both Workers Should Answer The Libraries Stale Because    connection refused
    And Both Workers Should Report The State Store Degraded
    When Redis Is Back And The Reconnect Backoff Has Passed
    Then Both Workers Should Report The State Store Up
    And The State Store Lane Should Show Redis Killed And Back

No Request Waits On A Paused Redis Longer Than Its Timeout
    [Documentation]    Redis paused (``CLIENT PAUSE``) for ${REDIS_PAUSE}: a request still gets its answer while
    ...    Redis answers nothing, and the worker reports the state store degraded.
    [Tags]    slow
    Given The Companion Runs With 2 Workers Sharing Redis
    And Worker A Has Read The Plex Libraries
    When Redis Is Paused For ${REDIS_PAUSE}
    And 1 Minute Passes
    And Worker A Reads The Plex Libraries
    Then Worker A Should Have Answered While Redis Was Still Paused
    And Worker A Should Report The State Store Degraded
