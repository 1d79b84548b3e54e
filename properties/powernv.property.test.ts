import { platformPropertySuite } from './suite';

platformPropertySuite('powernv');
