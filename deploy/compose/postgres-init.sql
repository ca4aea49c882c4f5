-- Each service owns its database (docs/scaling.md); run once, when the data volume is created.
CREATE DATABASE puffin_orders;
CREATE DATABASE puffin_fulfillment;
