//! GitLab's CI/CD variable expression language (rules:if, only/except:variables, workflow:rules:if).
