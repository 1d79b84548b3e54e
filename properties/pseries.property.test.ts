import { platformPropertySuite } from './suite';

platformPropertySuite('pseries');
