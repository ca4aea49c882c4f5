-- Run once, when the data volume is created (as the image's superuser, which only this init uses).
-- Each service gets a role of its own that owns its database and nothing else: no superuser, no
-- CREATEDB/CREATEROLE, no connection to the other's database. Its password comes from the service's
-- libpq password file (host:port:database:user:password), the same file the service reads through
-- Npgsql's Passfile=, so the password is written once and never appears in an environment variable.
\set orders_password `cut -d: -f5 /run/secrets/orders_pgpass`
\set fulfillment_password `cut -d: -f5 /run/secrets/fulfillment_pgpass`
CREATE ROLE puffin_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'orders_password';
CREATE ROLE puffin_fulfillment LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'fulfillment_password';
CREATE DATABASE puffin_orders OWNER puffin_api;
CREATE DATABASE puffin_fulfillment OWNER puffin_fulfillment;
REVOKE ALL ON DATABASE puffin_orders FROM PUBLIC;
REVOKE ALL ON DATABASE puffin_fulfillment FROM PUBLIC;
