-- One database per service (ARCHITECTURE.md: no service reads another's tables).
-- Run once by the postgres image on an empty data volume, as POSTGRES_USER (helpdesk),
-- so helpdesk owns every database. Keep this list in step with the *_DATABASE_URL variables
-- in docker-compose.yml and deploy/k8s/secret.example.yaml.
CREATE DATABASE cases;
CREATE DATABASE mail_gateway;
CREATE DATABASE notifications;
CREATE DATABASE portal;
CREATE DATABASE reports;
CREATE DATABASE gateway;
