"""Party A's technical materials (Part 3, 说明二 1.2): what the vendor asks the client to supply for a request, by
when; the request's clocks stand still while they are awaited; not supplied by the deadline, the client's breach is
recorded with its evidence, and the vendor may propose a §8.2 penalty for it.

Its own domain rather than a part of `saas/requests/`: it reads requests and writes their pauses and timeline
through the requests services, and bills through the billing-lines hooks, as the credits domain does; the
requests domain knows nothing of it (its page shows the asks through `saas_request_sections`). Only requests
can be the subject of an ask for now: maintenance and upgrade plans come in a later issue and will add
their own subject column."""
